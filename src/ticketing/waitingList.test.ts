import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres } from '../../test/harness.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { completeOrder } from './completeOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { saveTicketQuestion } from './questions.ts';
import { eventOnStripe, eventSelling } from './testFixtures.ts';
import { joinWaitingList, offerFreedSeats } from './waitingList.ts';
import { codeOf } from '../../test/testDatabase.ts';
import { useStripeTestNode, type StripeTestNode } from '../payments/testFixtures.ts';

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

const taken = async (dateId: string) =>
  await t.db
    .selectFrom('date_capacity')
    .select(['taken', 'capacity'])
    .where('event_date_id', '=', dateId)
    .executeTakeFirstOrThrow();
const entries = (dateId: string) =>
  t.db
    .selectFrom('waitlist_entries')
    .selectAll()
    .where('event_date_id', '=', dateId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
const linkIn = (text: string, path: string) => new RegExp(`/waitlist/${path}/([A-Za-z0-9_-]{43})`).exec(text)?.[0];

/** A sold-out date: capacity `capacity`, all of it held by one pending order (returned, to release later). */
async function soldOut(slug: string, capacity: number, kind: 'fixed' | 'free' = 'free') {
  const ev = await eventOnStripe(
    t.db,
    { slug, capacity },
    { name: 'Plein', kind, ...(kind === 'fixed' ? { price: '12' } : {}) },
  );
  const [price] = ev.priceIds;
  const date = ev.dateIds[0]!;
  const holder = await placeOrder(t.db, t.config, null, {
    slug,
    email: `holder@${slug}.example`,
    language: 'fr',
    lines: [{ priceId: price, eventDateId: date, quantity: capacity }],
  });
  return { ev, price, date, holder };
}
const expire = (orderId: string) =>
  sql`update orders set expires_at = now() - interval '1 second' where id = ${orderId}`.execute(t.db);

describe('joining', () => {
  test('only a sold-out date; logged in at once, by address after the mailed link; once per person per date', async () => {
    const { ev, price, date } = await soldOut('wait-join', 2);
    // The event page offers the waiting list where a price is sold out.
    const page = await t.client().get(`/events/wait-join-concert`);
    assert.match(
      page.body,
      new RegExp(
        `href="/events/${ev.eventId}/waitlist\\?date=${date}&price=${price}">Complet : rejoindre la liste d’attente`,
      ),
    );

    const ada = await t.loginAs('ada@example.org');
    const form = await ada.get(`/events/${ev.eventId}/waitlist?date=${date}&price=${price}`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<label for="wait-quantity">Nombre de places<\/label>/);
    const bad = await ada.postForm(`/events/${ev.eventId}/waitlist`, { date, price, quantity: '11' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /id="wait-quantity-error">Nombre entier de 1 à 10 attendu/);
    const joined = await ada.postForm(`/events/${ev.eventId}/waitlist`, { date, price, quantity: '2' });
    assert.equal(joined.statusCode, 200);
    assert.match(joined.body, /Vous êtes sur la liste d’attente/);
    assert.match(
      (await t.lastMailTo('ada@example.org'))!.text,
      /liste d’attente de « Concert »[\s\S]*\/waitlist\/entries\//,
    );
    const again = await ada.postForm(`/events/${ev.eventId}/waitlist`, { date, price, quantity: '1' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /déjà sur la liste d’attente/);

    const anon = t.client();
    const noMail = await anon.postForm(`/events/${ev.eventId}/waitlist`, {
      date,
      price,
      quantity: '1',
      email: 'pas-une-adresse',
    });
    assert.equal(noMail.statusCode, 422);
    assert.match(noMail.body, /id="wait-email-error">Ce n’est pas une adresse e-mail valide/);
    const byMail = await anon.postForm(`/events/${ev.eventId}/waitlist`, {
      date,
      price,
      quantity: '1',
      email: 'Bob@Example.org',
    });
    assert.match(byMail.body, /ouvrez le lien envoyé à bob@example.org/);
    const twice = await anon.postForm(`/events/${ev.eventId}/waitlist`, {
      date,
      price,
      quantity: '1',
      email: 'bob@example.org',
    });
    assert.equal(twice.statusCode, 200, 'the same answer: nobody learns who waits');
    let list = await entries(date);
    assert.deepEqual(
      list.map((e) => [e.email, e.status, e.quantity]),
      [
        ['ada@example.org', 'waiting', 2],
        ['bob@example.org', 'unconfirmed', 1],
      ],
    );
    // Unconfirmed entries are never offered.
    const link = linkIn((await t.lastMailTo('bob@example.org'))!.text, 'entries')!;
    const confirmPage = await anon.get(link);
    assert.match(confirmPage.body, /Confirmer mon inscription/);
    assert.deepEqual(
      (await entries(date)).map((e) => e.status),
      ['waiting', 'unconfirmed'],
      'opening the link changes nothing',
    );
    await anon.postForm(`${link}/confirm`, {});
    list = await entries(date);
    assert.deepEqual(
      list.map((e) => e.status),
      ['waiting', 'waiting'],
    );
    assert.equal((await anon.postForm('/waitlist/entries/' + 'x'.repeat(43) + '/confirm', {})).statusCode, 400);

    // Leaving: from the mail link, and from the account page.
    await anon.postForm(`${link}/leave`, {});
    const mine = await ada.get('/waitlist');
    assert.match(mine.body, /Mes listes d’attente/);
    assert.match(mine.body, /Concert/);
    const stranger = await t.loginAs('eve@example.org');
    assert.equal((await stranger.postForm(`/waitlist/${list[0]!.id}/leave`, {})).statusCode, 404);
    await ada.postForm(`/waitlist/${list[0]!.id}/leave`, {});
    assert.deepEqual(
      (await entries(date)).map((e) => e.status),
      ['left', 'left'],
    );
    // Having left, one may join again.
    await joinWaitingList(t.db, t.config, null, {
      eventId: ev.eventId,
      dateId: date,
      priceId: price,
      quantity: 1,
      email: 'bob@example.org',
      language: 'fr',
    });
    assert.equal((await entries(date)).length, 3);
  });

  test('refused while places are left, for unknown dates, and by the API with 422 fields', async () => {
    const ev = await eventSelling(t.db, { slug: 'wait-open', capacity: 10 }, { name: 'Plein', kind: 'free' });
    const [price] = ev.priceIds;
    const join = (extra: Partial<Parameters<typeof joinWaitingList>[3]> = {}) =>
      joinWaitingList(t.db, t.config, null, {
        eventId: ev.eventId,
        dateId: ev.dateIds[0]!,
        priceId: price,
        quantity: 1,
        email: 'x@example.org',
        language: 'fr',
        ...extra,
      });
    await assert.rejects(join(), (e: unknown) => codeOf(e) === 'waitlist-not-sold-out');
    await assert.rejects(join({ dateId: price }), (e: unknown) => codeOf(e) === 'not-found');
    await assert.rejects(join({ email: '' }), (e: unknown) => codeOf(e) === 'email:required');
    const c = t.client();
    const api = await c.api('POST', `/api/v1/events/${ev.eventId}/waitlist`, {
      dateId: ev.dateIds[0],
      priceId: price,
      quantity: 1,
      email: 'nope',
    });
    assert.equal(api.statusCode, 422);
    assert.equal(api.json().errors[0].field, 'email');
    const open = await c.api('POST', `/api/v1/events/${ev.eventId}/waitlist`, {
      dateId: ev.dateIds[0],
      priceId: price,
      quantity: 1,
      email: 'x@example.org',
    });
    assert.equal(open.statusCode, 409);
    assert.equal(
      (await t.db.selectFrom('waitlist_entries').select('id').where('event_id', '=', ev.eventId).execute()).length,
      0,
    );
  });
});

describe('offers', () => {
  test('freed seats go to the next person who fits, by a reserved link; the checkout asks the questions and books', async () => {
    const { ev, price, date, holder } = await soldOut('wait-offer', 3);
    await saveTicketQuestion(t.db, ev.admin, {
      slug: 'wait-offer',
      eventId: ev.eventId,
      label: 'Prénom du billet',
      kind: 'text',
      required: true,
      perTicket: true,
    });
    const join = (email: string, quantity: number) =>
      joinWaitingList(t.db, t.config, null, {
        eventId: ev.eventId,
        dateId: date,
        priceId: price,
        quantity,
        email,
        language: 'fr',
      });
    for (const [email, n] of [
      ['big@example.org', 3],
      ['one@example.org', 1],
      ['two@example.org', 2],
      ['last@example.org', 1],
    ] as const) {
      await join(email, n);
      await t.db.updateTable('waitlist_entries').set({ status: 'waiting' }).where('email', '=', email).execute();
    }
    assert.equal(await offerFreedSeats(t.db, t.config), 0, 'nothing free yet');
    // The holder's 3 places expire and a buyer takes 1: 2 are free. `big` wants 3 and keeps its rank;
    // `one` fits, then `two` does not (1 left) and `last` does.
    await expire(holder.id);
    const buyer = await placeOrder(t.db, t.config, null, {
      slug: 'wait-offer',
      email: 'buyer@example.org',
      language: 'fr',
      lines: [{ priceId: price, eventDateId: date, quantity: 1 }],
      answers: [],
    }).catch(() => null);
    assert.equal(buyer, null, 'the question is required for buyers too');
    const question = await t.db
      .selectFrom('ticket_questions')
      .select('id')
      .where('event_id', '=', ev.eventId)
      .executeTakeFirstOrThrow();
    const bought = await placeOrder(t.db, t.config, null, {
      slug: 'wait-offer',
      email: 'buyer@example.org',
      language: 'fr',
      lines: [{ priceId: price, eventDateId: date, quantity: 1 }],
      answers: [{ questionId: question.id, ticket: 0, value: 'B' }],
    });
    assert.equal(await offerFreedSeats(t.db, t.config), 2);
    let list = await entries(date);
    assert.deepEqual(
      list.map((e) => [e.email, e.status]),
      [
        ['big@example.org', 'waiting'],
        ['one@example.org', 'offered'],
        ['two@example.org', 'waiting'],
        ['last@example.org', 'offered'],
      ],
    );
    assert.equal((await taken(date)).taken, 3);
    assert.equal(await offerFreedSeats(t.db, t.config), 0, 'full again: nobody else is offered');

    const mail = await t.lastMailTo('one@example.org');
    assert.match(mail!.subject, /Des places vous sont réservées/);
    assert.match(mail!.text, /pendant 60 minutes/);
    const link = linkIn(mail!.text, 'offers')!;
    const c = t.client();
    const page = await c.get(link);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /1 place\(s\) réservée\(s\) pour one@example.org/);
    assert.match(page.body, /Billet 1 — Plein/);
    const bad = await c.postForm(link, { name: 'One' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /Ce champ est obligatoire/);
    const ok = await c.postForm(link, { name: 'One', [`qa.${question.id}.0`]: 'Uno' });
    assert.equal(ok.statusCode, 303);
    const entry = (await entries(date)).find((e) => e.email === 'one@example.org')!;
    assert.equal(ok.headers.location, `/orders/${entry.order_id}`);
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', entry.order_id!).executeTakeFirstOrThrow())
        .status,
      'paid',
    );
    assert.equal(
      (await t.db.selectFrom('tickets').select('id').where('order_id', '=', entry.order_id!).execute()).length,
      1,
    );
    assert.equal(
      (
        await t.db
          .selectFrom('order_answers')
          .select('value')
          .where('order_id', '=', entry.order_id!)
          .executeTakeFirstOrThrow()
      ).value,
      'Uno',
    );
    assert.equal(entry.status, 'done');
    assert.equal((await c.postForm(link, { name: 'Again' })).statusCode, 303, 'taking it twice is harmless');
    assert.equal(
      (await t.db.selectFrom('tickets').select('id').where('order_id', '=', entry.order_id!).execute()).length,
      1,
    );

    // `last` declines: the place comes back at once; still nobody fits (big 3, two 2).
    const lastLink = linkIn((await t.lastMailTo('last@example.org'))!.text, 'offers')!;
    const declined = await c.postForm(`${lastLink}/decline`, {});
    assert.match(declined.body, /Les places sont libérées/);
    assert.equal((await taken(date)).taken, 2);
    const late = await c.postForm(lastLink, { name: 'Last' });
    assert.equal(late.statusCode, 409);
    assert.match(late.body, /Cette offre n’est plus valable/);
    assert.equal(await offerFreedSeats(t.db, t.config), 0);
    // The buyer's hold expires: 2 free, `two` is offered.
    await expire(bought.id);
    assert.equal(await offerFreedSeats(t.db, t.config), 1);
    list = await entries(date);
    assert.deepEqual(
      list.map((e) => e.status),
      ['waiting', 'done', 'offered', 'left'],
    );
    assert.equal((await taken(date)).taken, 3);
    const admin = await t.loginAs('admin@wait-offer.example');
    assert.match(
      (await admin.get(`/venues/wait-offer/admin/events/${ev.eventId}/tickets`)).body,
      /<li>[^<]+ : 1 en attente, 1 offre\(s\) en cours<\/li>/,
    );
    assert.equal((await c.get('/waitlist/offers/' + 'y'.repeat(43))).statusCode, 400);
  });

  test('a paid offer goes on to payment; an offer left to expire gives its places to the next person', async () => {
    const { ev, price, date, holder } = await soldOut('wait-paid', 2, 'fixed');
    for (const email of ['p1@example.org', 'p2@example.org']) {
      const person = await ensurePerson(t.db, email, 'fr');
      await joinWaitingList(t.db, t.config, personActor(person.id), {
        eventId: ev.eventId,
        dateId: date,
        priceId: price,
        quantity: 2,
        language: 'fr',
      });
    }
    await expire(holder.id);
    assert.equal(await offerFreedSeats(t.db, t.config), 1);
    const first = (await entries(date))[0]!;
    const order = await t.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', first.order_id!)
      .executeTakeFirstOrThrow();
    assert.deepEqual([order.status, order.total_cents, order.email], ['pending', 2400, 'p1@example.org']);
    assert.ok(order.expires_at.getTime() > Date.now() + 59 * 60_000);
    // Nobody can buy the places held for the offer.
    await assert.rejects(
      placeOrder(t.db, t.config, null, {
        slug: 'wait-paid',
        email: 'rush@example.org',
        language: 'fr',
        lines: [{ priceId: price, eventDateId: date, quantity: 1 }],
      }),
      (e: unknown) => codeOf(e) === 'sold-out',
    );
    const link = linkIn((await t.lastMailTo('p1@example.org'))!.text, 'offers')!;
    const pay = await t.client().postForm(link, { name: 'P1' });
    assert.equal(pay.statusCode, 303);
    assert.match(String(pay.headers.location), /\/pay\/cs_test_/);
    // P1 never pays: the offer expires, its places go to p2.
    await expire(order.id);
    assert.equal(await offerFreedSeats(t.db, t.config), 1);
    const list = await entries(date);
    assert.deepEqual(
      list.map((e) => e.status),
      ['expired', 'offered'],
    );
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', order.id).executeTakeFirstOrThrow()).status,
      'expired',
    );
    assert.equal((await taken(date)).taken, 2);
    // p2 pays (here: completed as the payment would): its entry is done on the next run.
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, list[1]!.order_id!, null));
    await offerFreedSeats(t.db, t.config);
    assert.deepEqual(
      (await entries(date)).map((e) => e.status),
      ['expired', 'done'],
    );
  });
});

describe(
  'never oversold with the waiting list (PostgreSQL, real concurrency)',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  () => {
    test('30 buyers racing with the offer job on a date with 5 freed seats: capacity never exceeded', async () => {
      const { ev, price, date, holder } = await soldOut('wait-race', 5);
      for (let i = 0; i < 8; i++) {
        const person = await ensurePerson(t.db, `w${i}@example.org`, 'fr');
        await joinWaitingList(t.db, t.config, personActor(person.id), {
          eventId: ev.eventId,
          dateId: date,
          priceId: price,
          quantity: 1 + (i % 2),
          language: 'fr',
        });
      }
      await expire(holder.id);
      const results = await Promise.allSettled([
        ...Array.from({ length: 30 }, (_, i) =>
          placeOrder(t.db, t.config, null, {
            slug: 'wait-race',
            email: `r${i}@example.org`,
            language: 'fr',
            lines: [{ priceId: price, eventDateId: date, quantity: 1 }],
          }),
        ),
        offerFreedSeats(t.db, t.config),
        offerFreedSeats(t.db, t.config),
        offerFreedSeats(t.db, t.config),
      ]);
      const failures = results
        .filter((r) => r.status === 'rejected')
        .map((r) => codeOf((r as PromiseRejectedResult).reason));
      assert.ok(
        failures.every((c) => c === 'sold-out'),
        failures.join(),
      );
      const { taken: n, capacity } = await taken(date);
      assert.equal(capacity, 5);
      assert.ok(n <= 5);
      const held = await t.db
        .selectFrom('order_lines as l')
        .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'l.place_id').onRef('o.id', '=', 'l.order_id'))
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('l.quantity'), sql<number>`0`).as('n'))
        .where('l.event_date_id', '=', date)
        .where('o.status', 'in', ['pending', 'paid'])
        .executeTakeFirstOrThrow();
      assert.equal(Number(held.n), n, 'the counter is exactly what live orders hold');
      assert.equal(n, 5, 'every freed place was taken by a buyer or an offer');
      const offered = (await entries(date)).filter((e) => e.status === 'offered');
      for (const e of offered)
        assert.equal(
          (await t.db.selectFrom('orders').select('status').where('id', '=', e.order_id!).executeTakeFirstOrThrow())
            .status,
          'pending',
        );
      const bought = results.slice(0, 30).filter((r) => r.status === 'fulfilled').length;
      const offeredPlaces = offered.reduce((sum, e) => sum + e.quantity, 0);
      assert.equal(bought + offeredPlaces, 5);
    });
  },
);
