import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { parseCsv } from '../shared/csv.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createClosureWorld, type ClosureWorld } from './closureFixtures.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode;
let w: ClosureWorld;
let other: ClosureWorld;
let cashier: Client;
const D = '2025-06-20';

const countClosures = async (placeId: string) => countRows(t.db, 'till_closures', { place_id: placeId });

before(async () => {
  t = await createTestNode();
  w = await createClosureWorld(t.db);
  other = await createClosureWorld(t.db);
  await w.sale({
    pointId: w.pointA,
    businessDay: D,
    items: [{ article: 'Beer', category: 'Drinks', vat: 2000, quantity: 2, unitCents: 450 }],
    payments: [{ method: 'cash', amountCents: 900 }],
  });
  await w.sale({
    pointId: w.pointA,
    businessDay: D,
    items: [{ article: '=Cash-out', kind: 'cash_out', amountCents: -300 }],
    payments: [{ method: 'cash', amountCents: -300 }],
  });
  await w.sale({
    pointId: w.pointA,
    businessDay: D,
    items: [{ article: 'Top-up', kind: 'top_up', amountCents: 2000 }],
    payments: [{ method: 'bank_card', amountCents: 2000 }],
  });
  await w.sale({
    pointId: w.pointB,
    businessDay: D,
    items: [{ article: 'Ticket', category: 'Entrance', vat: 550, unitCents: 1000 }],
    payments: [{ method: 'card', amountCents: 1000, currency: 'EFED' }],
  });
  cashier = await t.loginAs(w.cashier.email);
});
after(() => t.close());

describe('closure pages', () => {
  test('the list shows the open days with their running totals, in French and in English; strangers are kept out', async () => {
    const fr = await cashier.get(`/venues/${w.place.slug}/admin/till/closures?lang=fr`);
    assert.equal(fr.statusCode, 200);
    assert.match(fr.body, /Clôtures de caisse/);
    assert.match(fr.body, /Journées à clôturer/);
    assert.match(fr.body, /Espèces attendues : 6,00\s€/);
    assert.match(fr.body, /<label for="countedCash-0">Espèces comptées \(euros\)/);
    const en = await cashier.get(`/venues/${w.place.slug}/admin/till/closures?lang=en`);
    assert.match(en.body, /Till closures/);
    assert.match(en.body, /Sales: 3 · Items total: €26\.00 · Expected cash: €6\.00/);
    assert.doesNotMatch(en.body, /closures\./, 'no catalogue key shown as is');

    const anonymous = await t.client().get(`/venues/${w.place.slug}/admin/till/closures`);
    assert.equal(anonymous.statusCode, 303);
    const outsider = await t.loginAs(other.cashier.email);
    assert.equal((await outsider.get(`/venues/${w.place.slug}/admin/till/closures`)).statusCode, 403);
    const page = await outsider.get(`/venues/${other.place.slug}/admin/till/closures`);
    assert.equal(page.statusCode, 200);
    const refused = await outsider.postForm(`/venues/${w.place.slug}/admin/till/closures`, {
      pointId: w.pointA,
      businessDay: D,
      countedCash: '6',
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(await countClosures(w.place.id), 0);
  });

  test('closing from the page: a bad amount is shown on its form (422), a good one makes the signed Z report, printable and exported', async () => {
    const bad = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures?lang=en`, {
      pointId: w.pointA,
      businessDay: D,
      countedCash: 'six',
      note: '',
    });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /aria-invalid="true" aria-describedby="countedCash-\d-error"/);
    assert.match(bad.body, /An amount in euros is expected/);
    assert.equal(await countClosures(w.place.id), 0);
    const missing = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures?lang=en`, {
      pointId: w.pointA,
      businessDay: D,
      countedCash: '',
    });
    assert.equal(missing.statusCode, 422);
    assert.match(missing.body, /This field is required/);

    const future = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures?lang=en`, {
      pointId: w.pointA,
      businessDay: '2099-01-01',
      countedCash: '1',
    });
    assert.equal(future.statusCode, 422);
    assert.match(
      future.body,
      /Business day: This business day has not started yet/,
      'an error of a day not listed is shown at the top',
    );
    const foreignPoint = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures?lang=en`, {
      pointId: other.pointA,
      businessDay: D,
      countedCash: '1',
    });
    assert.equal(foreignPoint.statusCode, 404);
    assert.equal(await countClosures(w.place.id), 0);

    // The X report: the day so far, read-only, the same figures the Z will sign; nothing is written.
    const x = await cashier.get(`/venues/${w.place.slug}/admin/till/closures/x?point=${w.pointA}&day=${D}&lang=en`);
    assert.equal(x.statusCode, 200, x.body);
    assert.match(x.body, /X report — Bar — 2025-06-20/);
    assert.match(x.body, /Nothing is closed or recorded/);
    assert.match(x.body, /Cash taken \(sales − cash paid out\)<\/th><td class="num">€6\.00/);
    assert.doesNotMatch(x.body, /Counted cash/, 'nothing counted in an X');
    assert.equal(await countClosures(w.place.id), 0);
    const list0 = await cashier.get(`/venues/${w.place.slug}/admin/till/closures?lang=fr`);
    assert.ok(list0.body.includes(`/closures/x?point=${w.pointA}&amp;day=${D}`), 'the list links the X report');
    for (const [query, status] of [
      [`point=${w.pointA}&day=2025-13-01`, 422],
      [`point=nope&day=${D}`, 422],
      [`point=${other.pointA}&day=${D}`, 404],
    ] as const)
      assert.equal(
        (await cashier.get(`/venues/${w.place.slug}/admin/till/closures/x?${query}`)).statusCode,
        status,
        query,
      );

    // The Z form asks again, showing the difference and that the point stops selling for that day.
    const form = { pointId: w.pointA, businessDay: D, countedCash: '5,50', note: 'coin missing' };
    const asked = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures?lang=fr`, form);
    assert.equal(asked.statusCode, 200, asked.body);
    assert.match(asked.body, /Clôturer Bar pour la journée du 2025-06-20 \?/);
    assert.match(asked.body, /ne pourra plus vendre pour la journée du 2025-06-20/);
    assert.match(asked.body, /-0,50\s€/, 'the difference before closing');
    assert.match(asked.body, /name="confirm" value="yes"/);
    assert.equal(await countClosures(w.place.id), 0, 'asking writes nothing');
    const done = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures`, { ...form, confirm: 'yes' });
    assert.equal(done.statusCode, 303);
    const closedX = await cashier.get(`/venues/${w.place.slug}/admin/till/closures/x?point=${w.pointA}&day=${D}`);
    assert.equal(closedX.statusCode, 303, 'the X of a closed day leads to its Z');
    assert.equal(closedX.headers.location, done.headers.location);
    const url = done.headers.location as string;
    assert.match(url, new RegExp(`^/venues/${w.place.slug}/admin/till/closures/[0-9a-f-]{36}$`));
    const report = await cashier.get(`${url}?lang=fr`);
    assert.equal(report.statusCode, 200);
    assert.match(report.body, /Ticket Z — Bar — 2025-06-20/);
    assert.match(report.body, /Vérifié : les totaux égalent le journal/);
    assert.match(report.body, /@page \{ size: A4/);
    assert.match(report.body, /coin missing/);
    assert.match(report.body, /-0,50\s€/, 'the difference');
    const receipt = await cashier.get(`${url}?format=receipt&lang=en`);
    assert.match(receipt.body, /@page \{ size: 80mm auto/);
    assert.match(receipt.body, /Verified: the totals equal the journal/);
    assert.match(receipt.body, /Z report — Bar — 2025-06-20/);

    const csv = await cashier.get(`${url}/report.csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    const rows = parseCsv(csv.body);
    const cell = (section: string, key: string) => rows.find((r) => r[0] === section && r[1] === key);
    assert.deepEqual(cell('cash', 'expected')?.[4], '6.00');
    assert.deepEqual(cell('cash', 'counted')?.[4], '5.50');
    assert.deepEqual(cell('cash', 'difference')?.[4], '-0.50', 'negative amounts stay numbers');
    assert.deepEqual(cell('payment', 'bank_card')?.slice(3), ['1', '20.00']);
    assert.deepEqual(cell('movement', 'cash_out:cash')?.slice(3), ['1', '-3.00']);
    assert.deepEqual(cell('vat', '2000')?.[4], '1.50');
    assert.ok(
      rows.some((r) => r[0] === 'article' && r[2] === "'=Cash-out"),
      'a formula-like name is defused',
    );

    const again = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures?lang=en`, {
      pointId: w.pointA,
      businessDay: D,
      countedCash: '6',
    });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /Day already closed/);
    assert.equal(await countClosures(w.place.id), 1);
    const list = await cashier.get(`/venues/${w.place.slug}/admin/till/closures`);
    assert.ok(list.body.includes(url), 'the closure is listed');

    const outsider = await t.loginAs(other.cashier.email);
    assert.equal((await outsider.get(url)).statusCode, 403);
    assert.equal(
      (await outsider.get(url.replace(w.place.slug, other.place.slug))).statusCode,
      404,
      "another venue's closure id is not found",
    );
    assert.equal((await cashier.get(`/venues/${w.place.slug}/admin/till/closures/${uuidv7()}`)).statusCode, 404);
  });

  test('the journal lines of a day as CSV, for a point or the whole venue', async () => {
    const all = await cashier.get(`/venues/${w.place.slug}/admin/till/journal.csv?day=${D}`);
    assert.equal(all.statusCode, 200);
    const rows = parseCsv(all.body);
    assert.equal(rows[0]![0], 'position');
    assert.equal(rows.length - 1, 2 + 2 + 2 + 2, 'items and payments of the four sales');
    const amount = rows[0]!.indexOf('amount');
    assert.deepEqual(
      rows
        .slice(1)
        .map((r) => r[amount])
        .sort(),
      ['-3.00', '-3.00', '10.00', '10.00', '20.00', '20.00', '9.00', '9.00'],
    );
    const one = parseCsv(
      (await cashier.get(`/venues/${w.place.slug}/admin/till/journal.csv?day=${D}&point=${w.pointB}`)).body,
    );
    assert.equal(one.length - 1, 2);
    assert.equal((await cashier.get(`/venues/${w.place.slug}/admin/till/journal.csv?day=2025-13-01`)).statusCode, 422);
    assert.equal(
      (await cashier.get(`/venues/${w.place.slug}/admin/till/journal.csv?day=${D}&point=nope`)).statusCode,
      422,
    );
    const outsider = await t.loginAs(other.cashier.email);
    assert.equal((await outsider.get(`/venues/${w.place.slug}/admin/till/journal.csv?day=${D}`)).statusCode, 403);
  });
});

describe('a sale sent late (queued offline, its own day closed)', () => {
  test('is shown on the day it is booked on: the running totals, the Z report, the CSV and the journal CSV', async () => {
    const sold = '2025-06-21';
    const booked = '2025-06-22';
    await w.sale({
      pointId: w.pointA,
      businessDay: booked,
      lateFromDay: sold,
      at: new Date('2025-06-21T22:30:00Z'),
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, quantity: 1, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
    const list = await cashier.get(`/venues/${w.place.slug}/admin/till/closures?lang=fr`);
    assert.match(list.body, /Ventes hors ligne arrivées en retard, vendues le 2025-06-21<\/strong> — 1 · 4,50\s€/);
    const closed = await cashier.postForm(`/venues/${w.place.slug}/admin/till/closures`, {
      pointId: w.pointA,
      businessDay: booked,
      countedCash: '4,50',
      confirm: 'yes',
    });
    assert.equal(closed.statusCode, 303, closed.body);
    const report = await cashier.get(`${closed.headers.location}?lang=en`);
    assert.match(report.body, /Offline sales that arrived late, sold on 2025-06-21/);
    assert.match(report.body, /Verified/);
    const csv = parseCsv((await cashier.get(`${closed.headers.location}/report.csv`)).body);
    assert.deepEqual(
      csv.find((r) => r[0] === 'late'),
      ['late', sold, '', '1', '4.50'],
    );
    const journal = parseCsv((await cashier.get(`/venues/${w.place.slug}/admin/till/journal.csv?day=${booked}`)).body);
    const late = journal[0]!.indexOf('late_from_day');
    const soldAt = journal[0]!.indexOf('sold_at');
    assert.ok(late > 0 && soldAt > 0);
    assert.deepEqual(
      journal.slice(1).map((r) => [r[late], r[soldAt]]),
      [
        [sold, '2025-06-21T22:30:00.000Z'],
        [sold, '2025-06-21T22:30:00.000Z'],
      ],
    );
  });
});

describe('closure API', () => {
  let key: string;
  let otherKey: string;
  before(async () => {
    key = (await createApiKey(t.db, w.admin, { slug: w.place.slug, name: 'cash office', scopes: ['till'] })).secret;
    otherKey = (await createApiKey(t.db, other.admin, { slug: other.place.slug, name: 'other', scopes: ['till'] }))
      .secret;
  });

  test('POST closes (201), a second time 409, bad input 422, another venue 403 — nothing written when refused', async () => {
    const url = `/api/v1/venues/${w.place.slug}/till/closures`;
    const body = { pointId: w.pointB, businessDay: D, countedCashCents: 0 };
    const foreign = await withKey(t.app, otherKey, 'POST', url, body);
    assert.equal(foreign.statusCode, 403);
    const bad = await withKey(t.app, key, 'POST', url, { ...body, countedCashCents: -5, extra: 1 });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.headers['content-type'] as string, /problem\+json/);
    const badDay = await withKey(t.app, key, 'POST', url, { ...body, businessDay: '2025-02-30' });
    assert.equal(badDay.statusCode, 422);
    assert.deepEqual(
      badDay.json().errors.map((e: { field: string }) => e.field),
      ['businessDay'],
    );
    assert.equal(
      (await t.db.selectFrom('till_closures').select('id').where('point_id', '=', w.pointB).execute()).length,
      0,
    );

    const created = await withKey(t.app, key, 'POST', url, { ...body, note: 'card only' });
    assert.equal(created.statusCode, 201);
    const closure = created.json().closure;
    assert.equal(closure.totals.payments[0].currency, 'EFED');
    assert.deepEqual(
      [closure.expectedCashCents, closure.countedCashCents, closure.differenceCents, closure.note],
      [0, 0, 0, 'card only'],
    );
    assert.equal(closure.closedBy, null);
    assert.match(closure.signature, /^[A-Za-z0-9_-]{86}$/);
    const again = await withKey(t.app, key, 'POST', url, body);
    assert.equal(again.statusCode, 409);
    assert.match(again.json().type, /till-closure-exists$/);

    const one = await withKey(t.app, key, 'GET', `${url}/${closure.id}`);
    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json().verification, { ok: true, problems: [] });
    assert.deepEqual(one.json().closure, closure);
    assert.equal((await withKey(t.app, otherKey, 'GET', `${url}/${closure.id}`)).statusCode, 403);
    assert.equal(
      (await withKey(t.app, otherKey, 'GET', `/api/v1/venues/${other.place.slug}/till/closures/${closure.id}`))
        .statusCode,
      404,
    );

    const list = await withKey(t.app, key, 'GET', `${url}?day=${D}`);
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list
        .json()
        .items.map((c: { pointName: string }) => c.pointName)
        .sort(),
      ['Bar', 'Entrance'],
    );
    const byPoint = await withKey(t.app, key, 'GET', `${url}?pointId=${w.pointB}`);
    assert.equal(byPoint.json().items.length, 1);
    assert.equal((await withKey(t.app, key, 'GET', `${url}?day=soon`)).statusCode, 422);
  });

  test('the session API needs the CSRF header; the openapi document lists the routes', async () => {
    const url = `/api/v1/venues/${w.place.slug}/till/closures`;
    const noCsrf = await cashier.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pointId: w.pointA, businessDay: '2025-06-21', countedCashCents: 0 }),
    });
    assert.equal(noCsrf.statusCode, 403);
    const ok = await cashier.api('POST', url, { pointId: w.pointA, businessDay: '2025-06-21', countedCashCents: 100 });
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().closure.closedBy, w.cashier.personId);
    const doc = (await t.client().get('/api/openapi.json')).json();
    assert.ok(doc.paths['/api/v1/venues/{slug}/till/closures'].post);
    assert.ok(doc.paths['/api/v1/venues/{slug}/till/closures/{id}'].get);
  });
});
