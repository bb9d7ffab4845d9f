import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onPostgres, type TestNode, useTestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { SYSTEM } from '../access/actor.ts';
import { checkIn } from './checkIn.ts';
import { completeOrder } from './completeOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { signTicket } from './ticketSignature.ts';
import { eventSelling } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

/** A paid order of `n` tickets for the first date; returns the tickets' QR payloads. */
async function ticketsFor(slug: string, n = 1, dates = 1) {
  const ev = await eventSelling(t.db, { slug, capacity: 100, dates }, { name: 'Plein', kind: 'fixed', price: '10' });
  const [price] = ev.priceIds;
  const placed = await placeOrder(t.db, t.config, null, {
    slug,
    email: 'fan@example.org',
    language: 'fr',
    lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: n }],
  });
  await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
  const tickets = await t.db.selectFrom('tickets').selectAll().where('order_id', '=', placed.id).execute();
  const payloads = await Promise.all(
    tickets.map((x) => signTicket(t.db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id })),
  );
  return { ev, tickets, payloads, price };
}
const nonce = () => `n-${uuidv7()}`;

test('a ticket enters once per list; the same scan resent answers the same; others are told when it entered', async () => {
  const { ev, payloads } = await ticketsFor('door');
  const scan = { payload: payloads[0]!, nonce: nonce() };
  const [first] = await checkIn(t.db, ev.admin, { slug: 'door', eventId: ev.eventId, scans: [scan] });
  assert.equal(first!.result, 'valid');
  assert.equal(first!.holderName, '');
  const [resent] = await checkIn(t.db, ev.admin, { slug: 'door', eventId: ev.eventId, scans: [scan] });
  assert.equal(resent!.result, 'valid', 'the same nonce gets the same answer');
  const [again] = await checkIn(t.db, ev.admin, {
    slug: 'door',
    eventId: ev.eventId,
    scans: [{ payload: payloads[0]!, nonce: nonce() }],
  });
  assert.equal(again!.result, 'already_checked_in');
  assert.equal(again!.previous?.listName, 'Entrée');
  const valid = await t.db
    .selectFrom('checkins')
    .select('id')
    .where('ticket_id', '=', first!.ticketId)
    .where('result', '=', 'valid')
    .execute();
  assert.equal(valid.length, 1);
  // Another list of the same event (e.g. the after-party) lets it in once more.
  const listId = uuidv7();
  await t.db
    .insertInto('checkin_lists')
    .values({ place_id: ev.place.id, id: listId, event_id: ev.eventId, name: 'After' })
    .execute();
  const [after_] = await checkIn(t.db, ev.admin, {
    slug: 'door',
    eventId: ev.eventId,
    listId,
    scans: [{ payload: payloads[0]!, nonce: nonce() }],
  });
  assert.equal(after_!.result, 'valid');
});

test('forged, altered, foreign, cancelled and wrong-date tickets never enter', async () => {
  const { ev, payloads, tickets } = await ticketsFor('guard', 3, 2);
  const other = await ticketsFor('elsewhere');
  const parts = payloads[0]!.split('.');
  const flipped = parts[4]!.startsWith('A') ? 'B' + parts[4]!.slice(1) : 'A' + parts[4]!.slice(1);
  const cases: [string, string][] = [
    [[...parts.slice(0, 4), flipped].join('.'), 'unknown'],
    [[parts[0], payloads[1]!.split('.')[1], ...parts.slice(2)].join('.'), 'unknown'], // another ticket id under this signature
    ['R1.garbage', 'unknown'],
    ['', 'required'],
    [other.payloads[0]!, 'unknown'], // signed by another venue
  ];
  for (const [payload, expected] of cases) {
    try {
      const [a] = await checkIn(t.db, ev.admin, {
        slug: 'guard',
        eventId: ev.eventId,
        scans: [{ payload, nonce: nonce() }],
      });
      assert.equal(a!.result, expected, payload);
    } catch (e) {
      assert.ok(e instanceof DomainError && e.fields[0]?.message === expected, `${payload}: ${String(e)}`);
    }
  }
  await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('id', '=', tickets[1]!.id).execute();
  await t.db.updateTable('tickets').set({ status: 'refunded' }).where('id', '=', tickets[2]!.id).execute();
  const answers = await checkIn(t.db, ev.admin, {
    slug: 'guard',
    eventId: ev.eventId,
    scans: [
      { payload: payloads[1]!, nonce: nonce() },
      { payload: payloads[2]!, nonce: nonce() },
    ],
  });
  assert.deepEqual(
    answers.map((a) => a.result),
    ['cancelled', 'refunded'],
  );
  const onlySecondDate = uuidv7();
  await t.db
    .insertInto('checkin_lists')
    .values({
      place_id: ev.place.id,
      id: onlySecondDate,
      event_id: ev.eventId,
      name: 'Jour 2',
      date_ids: [ev.dateIds[1]!],
    })
    .execute();
  const [wrong] = await checkIn(t.db, ev.admin, {
    slug: 'guard',
    eventId: ev.eventId,
    listId: onlySecondDate,
    scans: [{ payload: payloads[0]!, nonce: nonce() }],
  });
  assert.equal(wrong!.result, 'wrong_event');
  assert.equal(
    (
      await t.db
        .selectFrom('checkins')
        .select('id')
        .where('result', '=', 'valid')
        .where('place_id', '=', ev.place.id)
        .execute()
    ).length,
    0,
  );
});

test('only the door team, admins and keys with the checkin scope may scan', async () => {
  const { ev, payloads } = await ticketsFor('staff');
  const editor = await ensurePerson(t.db, 'editor@staff.example', 'fr');
  await t.db
    .insertInto('place_members')
    .values({ place_id: ev.place.id, person_id: editor.id, role: 'editor' })
    .execute();
  await assert.rejects(
    checkIn(t.db, personActor(editor.id), {
      slug: 'staff',
      eventId: ev.eventId,
      scans: [{ payload: payloads[0]!, nonce: nonce() }],
    }),
    (e: unknown) => e instanceof DomainError && e.status === 403,
  );
  const door = await ensurePerson(t.db, 'door@staff.example', 'fr');
  await t.db.insertInto('place_members').values({ place_id: ev.place.id, person_id: door.id, role: 'door' }).execute();
  const [a] = await checkIn(t.db, personActor(door.id), {
    slug: 'staff',
    eventId: ev.eventId,
    scans: [{ payload: payloads[0]!, nonce: nonce() }],
  });
  assert.equal(a!.result, 'valid');
});

test('an offline batch uploaded twice counts once; the same ticket from two phones is one entry', async () => {
  const { ev, payloads } = await ticketsFor('batch', 3);
  const batch = payloads.map((payload) => ({
    payload,
    nonce: nonce(),
    scannedAt: new Date(Date.now() - 60_000).toISOString(),
  }));
  const first = await checkIn(t.db, ev.admin, { slug: 'batch', eventId: ev.eventId, scans: batch });
  const second = await checkIn(t.db, ev.admin, { slug: 'batch', eventId: ev.eventId, scans: batch });
  assert.deepEqual(
    first.map((a) => a.result),
    ['valid', 'valid', 'valid'],
  );
  assert.deepEqual(
    second.map((a) => a.result),
    ['valid', 'valid', 'valid'],
  );
  const phoneB = [{ payload: payloads[0]!, nonce: nonce(), scannedAt: new Date(Date.now() - 30_000).toISOString() }];
  const conflict = await checkIn(t.db, ev.admin, { slug: 'batch', eventId: ev.eventId, scans: phoneB });
  assert.equal(conflict[0]!.result, 'already_checked_in');
  assert.ok(conflict[0]!.previous);
  assert.equal(
    (await t.db.selectFrom('checkins').select('id').where('place_id', '=', ev.place.id).execute()).length,
    4,
  );
});

test(
  'twenty phones scanning one ticket at the same moment let it in once',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  async () => {
    const { ev, payloads } = await ticketsFor('crowd');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        checkIn(t.db, ev.admin, {
          slug: 'crowd',
          eventId: ev.eventId,
          scans: [{ payload: payloads[0]!, nonce: nonce() }],
        }),
      ),
    );
    const results = answers.map((a) => a[0]!.result);
    assert.equal(results.filter((r) => r === 'valid').length, 1);
    assert.equal(results.filter((r) => r === 'already_checked_in').length, 19);
  },
);

test('a nonce reused with another ticket or list is refused (409) and writes nothing; the same scan resent still answers', async () => {
  const { ev, payloads, tickets } = await ticketsFor('reuse', 2);
  const reused = nonce();
  const [first] = await checkIn(t.db, ev.admin, {
    slug: 'reuse',
    eventId: ev.eventId,
    scans: [{ payload: payloads[0]!, nonce: reused }],
  });
  assert.equal(first!.result, 'valid');
  const entriesOf = async (ticketId: string) =>
    (await t.db.selectFrom('checkins').select('id').where('ticket_id', '=', ticketId).execute()).length;
  const refusedWith = (field: string) => (e: unknown) =>
    e instanceof DomainError &&
    e.status === 409 &&
    e.code === 'checkin-nonce-reused' &&
    e.fields.length === 1 &&
    e.fields[0]!.field === field;

  // Another ticket under the stored nonce: it was never checked, so it must not be told "valid".
  await assert.rejects(
    checkIn(t.db, ev.admin, { slug: 'reuse', eventId: ev.eventId, scans: [{ payload: payloads[1]!, nonce: reused }] }),
    refusedWith('nonce'),
  );
  // In a batch: the scan at fault is named, and the good scan before it is not recorded either.
  const fresh = nonce();
  await assert.rejects(
    checkIn(t.db, ev.admin, {
      slug: 'reuse',
      eventId: ev.eventId,
      scans: [
        { payload: payloads[1]!, nonce: fresh },
        { payload: payloads[1]!, nonce: reused },
      ],
    }),
    refusedWith('scans.1.nonce'),
  );
  // One nonce twice in one batch for two different tickets.
  const twice = nonce();
  await assert.rejects(
    checkIn(t.db, ev.admin, {
      slug: 'reuse',
      eventId: ev.eventId,
      scans: [
        { payload: payloads[1]!, nonce: twice },
        { payload: payloads[0]!, nonce: twice },
      ],
    }),
    refusedWith('scans.1.nonce'),
  );
  // The same ticket on another list is another scan, not a resend.
  const listId = uuidv7();
  await t.db
    .insertInto('checkin_lists')
    .values({ place_id: ev.place.id, id: listId, event_id: ev.eventId, name: 'After' })
    .execute();
  await assert.rejects(
    checkIn(t.db, ev.admin, {
      slug: 'reuse',
      eventId: ev.eventId,
      listId,
      scans: [{ payload: payloads[0]!, nonce: reused }],
    }),
    refusedWith('nonce'),
  );
  assert.equal(await entriesOf(tickets[1]!.id), 0, 'the second ticket was never recorded');
  assert.equal(await entriesOf(tickets[0]!.id), 1);
  const stored = await t.db.selectFrom('checkins').select('nonce').where('nonce', 'in', [fresh, twice]).execute();
  assert.equal(stored.length, 0, 'a refused batch writes none of its scans');

  // The resend of the first scan is still answered from what was stored.
  const [resent] = await checkIn(t.db, ev.admin, {
    slug: 'reuse',
    eventId: ev.eventId,
    scans: [{ payload: payloads[0]!, nonce: reused }],
  });
  assert.equal(resent!.result, 'valid');
  assert.equal(resent!.ticketId, tickets[0]!.id);

  // Over HTTP: a problem+json 409 in the person's language.
  const door = await t.loginAs('admin@reuse.example');
  const answer = await door.api('POST', '/api/v1/checkins', {
    venue: 'reuse',
    eventId: ev.eventId,
    scans: [{ payload: payloads[1]!, nonce: reused }],
  });
  assert.equal(answer.statusCode, 409);
  assert.match(answer.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(answer.json().type.split('/').pop(), 'checkin-nonce-reused');
  assert.equal(answer.json().errors[0].field, 'nonce');
});

test(
  'one nonce sent at once with two tickets: one is recorded, the other refused, never answered for it',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  async () => {
    const { ev, payloads, tickets } = await ticketsFor('race-nonce', 2);
    const shared = nonce();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        checkIn(t.db, ev.admin, {
          slug: 'race-nonce',
          eventId: ev.eventId,
          scans: [{ payload: payloads[i % 2]!, nonce: shared }],
        }),
      ),
    );
    const rows = await t.db.selectFrom('checkins').select('ticket_id').where('nonce', '=', shared).execute();
    assert.equal(rows.length, 1);
    const recorded = rows[0]!.ticket_id;
    for (const [i, r] of results.entries()) {
      if (tickets[i % 2]!.id === recorded) {
        assert.equal(r.status, 'fulfilled');
        assert.equal((r as PromiseFulfilledResult<Awaited<ReturnType<typeof checkIn>>>).value[0]!.ticketId, recorded);
      } else {
        assert.equal(r.status, 'rejected');
        const e = (r as PromiseRejectedResult).reason;
        assert.ok(e instanceof DomainError && e.code === 'checkin-nonce-reused', String(e));
      }
    }
  },
);
