import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, countRows, useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { canonicalJson } from '../ledger/chain.ts';
import { businessDayAt, businessDayBounds } from './closureDay.ts';
import { closureReport, vatOf, VAT_KINDS, MOVEMENT_KINDS, type ClosureTotals } from './closureReport.ts';
import { assertDayOpen, closeDay } from './closeDay.ts';
import { closureMessage, findClosure, listClosures } from './closures.ts';
import { loadNodeKey, signText } from '../ledger/nodeKey.ts';
import { verifyClosure } from './verifyClosure.ts';
import { createClosureWorld, type ClosureWorld } from './closureFixtures.ts';
import { inTransaction } from '../db/database.ts';

let db: Db;
let w: ClosureWorld;
useTestDatabase(async (opened) => {
  db = opened.db;
  w = await createClosureWorld(db);
});

const isCode = (code: string, status?: number) => (error: unknown) =>
  error instanceof DomainError && error.code === code && (status === undefined || error.status === status);
const fieldsOf = (error: unknown) =>
  error instanceof DomainError ? error.fields.map((f) => `${f.field}:${f.message}`) : [];

const closuresOf = async (placeId: string) => countRows(db, 'till_closures', { place_id: placeId });
const auditsOf = async (placeId: string) => countRows(db, 'audit_log', { place_id: placeId, action: 'till.closure' });

/** The totals computed the plain way, line by line in JavaScript, from the journal rows of that point and day. */
async function sumsByHand(placeId: string, pointId: string, businessDay: string): Promise<ClosureTotals> {
  const lines = await db
    .selectFrom('till_journal as j')
    .innerJoin('till_sales as s', 's.id', 'j.sale_id')
    .selectAll('j')
    .select('s.reverses_sale_id')
    .where('j.place_id', '=', placeId)
    .where('j.point_id', '=', pointId)
    .where('j.business_day', '=', businessDay)
    .orderBy('j.position')
    .execute();
  const group = <T>(map: Map<string, T>, key: string, make: () => T, add: (t: T) => void) => {
    const v = map.get(key) ?? make();
    add(v);
    map.set(key, v);
  };
  const cmp = (x: string | null, y: string | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
  const payments = new Map<string, ClosureTotals['payments'][number]>();
  const articles = new Map<string, ClosureTotals['articles'][number]>();
  const vat = new Map<number, number>();
  const saleMethod = new Map<string, Set<string>>();
  for (const l of lines)
    if (l.kind === 'payment')
      group(
        saleMethod,
        l.sale_id,
        () => new Set<string>(),
        (s) => s.add(l.payment_method!),
      );
  const movements = new Map<string, ClosureTotals['movements'][number] & { ids: Set<string> }>();
  for (const l of lines) {
    const amount = Number(l.amount_cents);
    if (l.kind === 'payment') {
      const currency = l.payment_method === 'card' ? l.currency_code : null;
      group(
        payments,
        `${l.payment_method}|${currency}`,
        () => ({ method: l.payment_method!, currency, count: 0, amountCents: 0 }),
        (p) => {
          p.count++;
          p.amountCents += amount;
        },
      );
      continue;
    }
    group(
      articles,
      `${l.article_id}|${l.article_name}|${l.article_kind}|${l.category_name}`,
      () => ({
        articleId: l.article_id!,
        name: l.article_name!,
        kind: l.article_kind!,
        category: l.category_name,
        quantity: 0,
        amountCents: 0,
      }),
      (a) => {
        a.quantity += l.quantity ?? 0;
        a.amountCents += amount;
      },
    );
    if (VAT_KINDS.includes(l.article_kind!)) vat.set(l.vat_rate ?? 0, (vat.get(l.vat_rate ?? 0) ?? 0) + amount);
    if (MOVEMENT_KINDS.includes(l.article_kind!)) {
      const methods = saleMethod.get(l.sale_id);
      const method = !methods ? 'none' : methods.size === 1 ? [...methods][0]! : 'mixed';
      group(
        movements,
        `${l.article_kind}|${method}`,
        () => ({
          kind: l.article_kind!,
          method: method as 'cash',
          sales: 0,
          quantity: 0,
          amountCents: 0,
          ids: new Set<string>(),
        }),
        (m) => {
          m.ids.add(l.sale_id);
          m.quantity += l.quantity ?? 0;
          m.amountCents += amount;
        },
      );
    }
  }
  const categories = new Map<string, ClosureTotals['categories'][number]>();
  const kinds = new Map<string, ClosureTotals['kinds'][number]>();
  for (const a of articles.values()) {
    group(
      categories,
      String(a.category),
      () => ({ category: a.category, quantity: 0, amountCents: 0 }),
      (c) => {
        c.quantity += a.quantity;
        c.amountCents += a.amountCents;
      },
    );
    group(
      kinds,
      a.kind,
      () => ({ kind: a.kind, quantity: 0, amountCents: 0 }),
      (k) => {
        k.quantity += a.quantity;
        k.amountCents += a.amountCents;
      },
    );
  }
  const sales = new Set(lines.filter((l) => !l.reverses_sale_id).map((l) => l.sale_id));
  const reversals = lines.filter((l) => l.reverses_sale_id);
  // VAT by hand, with floats (small amounts): half away from zero.
  const vatFloat = (gross: number, rate: number) =>
    Math.sign(gross) * Math.round((Math.abs(gross) * rate) / (10000 + rate));
  return {
    version: 1,
    lineCount: lines.length,
    salesCount: sales.size,
    reversals: {
      count: new Set(reversals.map((l) => l.sale_id)).size,
      amountCents: reversals.filter((l) => l.kind === 'item').reduce((s, l) => s + Number(l.amount_cents), 0),
    },
    itemsTotalCents: lines.filter((l) => l.kind === 'item').reduce((s, l) => s + Number(l.amount_cents), 0),
    paymentsTotalCents: lines.filter((l) => l.kind === 'payment').reduce((s, l) => s + Number(l.amount_cents), 0),
    expectedCashCents: lines.filter((l) => l.payment_method === 'cash').reduce((s, l) => s + Number(l.amount_cents), 0),
    payments: [...payments.values()].sort((x, y) => cmp(x.method, y.method) || cmp(x.currency, y.currency)),
    articles: [...articles.values()].sort(
      (x, y) =>
        cmp(x.category, y.category) || cmp(x.name, y.name) || cmp(x.articleId, y.articleId) || cmp(x.kind, y.kind),
    ),
    categories: [...categories.values()].sort((x, y) => cmp(x.category, y.category)),
    kinds: [...kinds.values()].sort((x, y) => cmp(x.kind, y.kind)),
    movements: [...movements.values()]
      .map(({ ids, ...m }) => ({ ...m, sales: ids.size }))
      .sort((x, y) => cmp(x.kind, y.kind) || cmp(x.method, y.method)),
    vat: [...vat.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([rate, gross]) => ({
        rate,
        grossCents: gross,
        vatCents: vatFloat(gross, rate),
        netCents: gross - vatFloat(gross, rate),
      })),
  };
}

// Europe/Paris in June is UTC+2; the day starts at 04:00 local (the default).
const D = '2025-06-20';
const at = (iso: string) => new Date(iso);

describe('business day', () => {
  test('the 04:00 boundary: 02:30 and 03:59 belong to the night before, 04:00 to the new day', () => {
    const day = { timezone: 'Europe/Paris', dayStartsAt: '04:00:00' };
    assert.equal(businessDayAt(at('2025-06-20T18:00:00Z'), day), '2025-06-20');
    assert.equal(businessDayAt(at('2025-06-21T00:30:00Z'), day), '2025-06-20');
    assert.equal(businessDayAt(at('2025-06-21T01:59:59Z'), day), '2025-06-20');
    assert.equal(businessDayAt(at('2025-06-21T02:00:00Z'), day), '2025-06-21');
    assert.equal(businessDayAt(at('2025-01-01T02:30:00Z'), day), '2024-12-31', 'across a year');
    const bounds = businessDayBounds('2025-06-20', day);
    assert.equal(bounds.from.toISOString(), '2025-06-20T02:00:00.000Z');
    assert.equal(bounds.to.toISOString(), '2025-06-21T02:00:00.000Z');
  });

  test('VAT per rate total, rounded half away from zero', () => {
    assert.equal(vatOf(2700, 2000), 450);
    assert.equal(vatOf(600, 1000), 55);
    assert.equal(vatOf(1500, 550), 78);
    assert.equal(vatOf(3, 10000), 2);
    assert.equal(vatOf(-3, 10000), -2);
    assert.equal(vatOf(-600, 1000), -55);
    assert.equal(vatOf(123, 0), 0);
    assert.equal(vatOf(90_000_000_000_000, 2000), 15_000_000_000_000, 'no float overflow on large amounts');
  });
});

describe('closureReport', () => {
  let expectedCash = 0;
  before(async () => {
    const A = w.pointA;
    await w.sale({
      pointId: A,
      at: at('2025-06-20T18:00:00Z'),
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, quantity: 3, unitCents: 450 }],
      payments: [{ method: 'card', amountCents: 1350, currency: 'EFED' }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-20T18:05:00Z'),
      items: [
        { article: 'Sandwich', category: 'Food', vat: 1000, unitCents: 600 },
        { article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 },
      ],
      payments: [{ method: 'cash', amountCents: 1050 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-21T00:30:00Z'),
      items: [{ article: 'Top-up', kind: 'top_up', amountCents: 5000 }],
      payments: [{ method: 'cash', amountCents: 5000 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-20T19:00:00Z'),
      items: [{ article: 'Top-up', kind: 'top_up', amountCents: 2000 }],
      payments: [{ method: 'bank_card', amountCents: 2000 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-20T20:00:00Z'),
      items: [{ article: 'Cash-out', kind: 'cash_out', amountCents: -1500 }],
      payments: [{ method: 'cash', amountCents: -1500 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-20T20:10:00Z'),
      items: [
        { article: 'Cup', kind: 'deposit', category: 'Drinks', quantity: 2, unitCents: 100 },
        { article: 'Beer', category: 'Drinks', vat: 2000, quantity: 2, unitCents: 450 },
      ],
      payments: [
        { method: 'card', amountCents: 600, currency: 'EFED' },
        { method: 'card', amountCents: 500, currency: 'GIFT' },
      ],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-21T01:59:00Z'),
      items: [{ article: 'Cup return', kind: 'deposit_return', category: 'Drinks', quantity: 1, amountCents: -100 }],
      payments: [{ method: 'cash', amountCents: -100 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-20T21:00:00Z'),
      items: [{ article: 'Membership', kind: 'membership', vat: 550, unitCents: 1500 }],
      payments: [
        { method: 'cash', amountCents: 1000 },
        { method: 'bank_card', amountCents: 500 },
      ],
    });
    const wine = await w.sale({
      pointId: A,
      at: at('2025-06-20T21:30:00Z'),
      items: [{ article: 'Wine', category: 'Drinks', vat: 2000, unitCents: 700 }],
      payments: [{ method: 'cash', amountCents: 700 }],
    });
    await w.reverse(wine);
    await w.sale({
      pointId: A,
      at: at('2025-06-20T22:00:00Z'),
      items: [{ article: 'Water', kind: 'free', category: 'Drinks', unitCents: 0 }],
      payments: [],
    });
    expectedCash = 1050 + 5000 - 1500 - 100 + 1000 + 700 - 700;
    // Excluded: another point the same day, the same point the day before (03:00 on the 20th) and after (04:00 on the 21st).
    await w.sale({
      pointId: w.pointB,
      at: at('2025-06-20T18:30:00Z'),
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-20T01:00:00Z'),
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
    await w.sale({
      pointId: A,
      at: at('2025-06-21T02:00:00Z'),
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
  });

  test('the totals equal the journal sums of that point and day, line by line', async () => {
    const report = await closureReport(db, w.place.id, w.pointA, D);
    assert.deepEqual(report.totals, await sumsByHand(w.place.id, w.pointA, D));
    const t = report.totals;
    assert.equal(t.expectedCashCents, expectedCash);
    assert.equal(t.expectedCashCents, 5450);
    assert.equal(t.salesCount, 10);
    assert.deepEqual(t.reversals, { count: 1, amountCents: -700 });
    assert.equal(t.itemsTotalCents, t.paymentsTotalCents);
    assert.equal(t.itemsTotalCents, 1350 + 1050 + 5000 + 2000 - 1500 + 1100 - 100 + 1500);
    assert.deepEqual(t.payments, [
      { method: 'bank_card', currency: null, count: 2, amountCents: 2500 },
      { method: 'card', currency: 'EFED', count: 2, amountCents: 1950 },
      { method: 'card', currency: 'GIFT', count: 1, amountCents: 500 },
      { method: 'cash', currency: null, count: 7, amountCents: 5450 },
    ]);
    assert.deepEqual(t.vat, [
      { rate: 0, grossCents: 0, vatCents: 0, netCents: 0 },
      { rate: 550, grossCents: 1500, vatCents: 78, netCents: 1422 },
      { rate: 1000, grossCents: 600, vatCents: 55, netCents: 545 },
      { rate: 2000, grossCents: 2700, vatCents: 450, netCents: 2250 },
    ]);
    const beer = t.articles.find((a) => a.name === 'Beer')!;
    assert.deepEqual([beer.quantity, beer.amountCents], [6, 2700]);
    const wine = t.articles.find((a) => a.name === 'Wine')!;
    assert.deepEqual([wine.quantity, wine.amountCents], [0, 0], 'a reversed sale nets to zero');
    assert.deepEqual(
      t.categories.find((c) => c.category === 'Drinks'),
      { category: 'Drinks', quantity: 3 + 1 + 2 + 2 + 1 + 1 - 1 + 1, amountCents: 2700 + 200 - 100 },
    );
    assert.deepEqual(t.movements, [
      { kind: 'cash_out', method: 'cash', sales: 1, quantity: 1, amountCents: -1500 },
      { kind: 'deposit', method: 'card', sales: 1, quantity: 2, amountCents: 200 },
      { kind: 'deposit_return', method: 'cash', sales: 1, quantity: 1, amountCents: -100 },
      { kind: 'top_up', method: 'bank_card', sales: 1, quantity: 1, amountCents: 2000 },
      { kind: 'top_up', method: 'cash', sales: 1, quantity: 1, amountCents: 5000 },
    ]);
    assert.equal(
      report.totals.lineCount,
      (
        await db
          .selectFrom('till_journal')
          .select('position')
          .where('place_id', '=', w.place.id)
          .where('point_id', '=', w.pointA)
          .where('business_day', '=', D)
          .execute()
      ).length,
    );
  });

  test('other points and days are summed apart; an empty day is all zeros', async () => {
    const b = await closureReport(db, w.place.id, w.pointB, D);
    assert.deepEqual(b.totals, await sumsByHand(w.place.id, w.pointB, D));
    assert.equal(b.totals.expectedCashCents, 450);
    assert.equal((await closureReport(db, w.place.id, w.pointA, '2025-06-19')).totals.expectedCashCents, 450);
    assert.equal((await closureReport(db, w.place.id, w.pointA, '2025-06-21')).totals.salesCount, 1);
    const empty = await closureReport(db, w.place.id, w.pointB, '2025-06-22');
    assert.deepEqual(
      [
        empty.firstPosition,
        empty.lastPosition,
        empty.totals.lineCount,
        empty.totals.expectedCashCents,
        empty.totals.payments.length,
      ],
      [null, null, 0, 0, 0],
    );
  });

  test('closing: totals stored and signed, difference = counted − expected, verified; a second closure is refused and writes nothing', async () => {
    const closure = await closeDay(db, w.cashier, {
      placeId: w.place.id,
      pointId: w.pointA,
      businessDay: D,
      countedCashCents: 5400,
      note: ' short by 50 cents ',
    });
    assert.deepEqual(closure.totals, await sumsByHand(w.place.id, w.pointA, D));
    assert.equal(closure.expectedCashCents, 5450);
    assert.equal(closure.countedCashCents, 5400);
    assert.equal(closure.differenceCents, -50);
    assert.equal(closure.note, 'short by 50 cents');
    assert.equal(closure.closedBy, w.cashier.personId);
    assert.equal(closure.pointName, 'Bar');
    const positions = await db
      .selectFrom('till_journal')
      .select('position')
      .where('place_id', '=', w.place.id)
      .where('point_id', '=', w.pointA)
      .where('business_day', '=', D)
      .orderBy('position')
      .execute();
    assert.equal(closure.firstPosition, Number(positions[0]!.position));
    assert.equal(closure.lastPosition, Number(positions.at(-1)!.position));
    const head = await db
      .selectFrom('till_journal_heads')
      .selectAll()
      .where('place_id', '=', w.place.id)
      .executeTakeFirstOrThrow();
    assert.equal(closure.journalHeadPosition, Number(head.position));
    assert.equal(closure.journalHeadHash, head.hash);
    assert.deepEqual(await verifyClosure(db, closure), { ok: true, problems: [] });
    assert.equal(await auditsOf(w.place.id), 1);

    await assert.rejects(
      closeDay(db, w.admin, { placeId: w.place.id, pointId: w.pointA, businessDay: D, countedCashCents: 5450 }),
      isCode('till-closure-exists', 409),
    );
    assert.equal(await closuresOf(w.place.id), 1);
    assert.equal(await auditsOf(w.place.id), 1);
    assert.equal((await listClosures(db, w.place.id, { businessDay: D })).length, 1);
    // The closure is final: the database refuses to change or delete it.
    await assert.rejects(
      sql`update till_closures set counted_cash_cents = 5450, difference_cents = 0 where id = ${closure.id}`.execute(
        db,
      ),
      /append-only/,
    );
    await assert.rejects(sql`delete from till_closures where id = ${closure.id}`.execute(db), /append-only/);
  });

  test('a closed day takes no more sales on that point: assertDayOpen says till-day-closed, the database refuses the lines anyway', async () => {
    await assert.rejects(
      w.sale({
        pointId: w.pointA,
        businessDay: D,
        items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
        payments: [{ method: 'cash', amountCents: 450 }],
        checkOpen: true,
      }),
      isCode('till-day-closed', 409),
    );
    await assert.rejects(
      w.sale({
        pointId: w.pointA,
        businessDay: D,
        items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
        payments: [{ method: 'cash', amountCents: 450 }],
      }),
      /is closed/,
    );
    const saleIds = (
      await db
        .selectFrom('till_sales')
        .select('id')
        .where('place_id', '=', w.place.id)
        .where('point_id', '=', w.pointA)
        .where('business_day', '=', D)
        .execute()
    ).length;
    assert.equal(saleIds, 11, 'nothing written by the refused sales');
    // Another point the same day, and the same point the next day, stay open.
    await inTransaction(db, (trx) => assertDayOpen(trx, w.place.id, w.pointB, D));
    await w.sale({
      pointId: w.pointA,
      businessDay: '2025-06-21',
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
      checkOpen: true,
    });
    const closure = (await listClosures(db, w.place.id, { businessDay: D, pointId: w.pointA }))[0]!;
    assert.deepEqual(
      await verifyClosure(db, closure),
      { ok: true, problems: [] },
      'lines of other days after the closure do not matter',
    );
  });

  test('an opening float: expected in the drawer = float + cash lines, difference = counted − float − expected, signed (v2) and verified', async () => {
    const other = await createClosureWorld(db);
    await other.sale({
      pointId: other.pointA,
      businessDay: D,
      items: [{ article: 'Beer', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
    const closure = await closeDay(db, other.cashier, {
      placeId: other.place.id,
      pointId: other.pointA,
      businessDay: D,
      countedCashCents: 10_400,
      openingFloatCents: 10_000,
    });
    assert.deepEqual(
      [
        closure.openingFloatCents,
        closure.expectedCashCents,
        closure.countedCashCents,
        closure.differenceCents,
        closure.messageVersion,
      ],
      [10_000, 450, 10_400, -50, 2],
    );
    assert.deepEqual(await verifyClosure(db, closure), { ok: true, problems: [] });
    // The float is signed: changed in memory, the signature fails; a difference that does not add up is named.
    assert.deepEqual((await verifyClosure(db, { ...closure, openingFloatCents: 9_950, differenceCents: 0 })).problems, [
      'signature',
    ]);
    assert.deepEqual((await verifyClosure(db, { ...closure, differenceCents: 0 })).problems, ['signature', 'cash']);
    // The database holds the arithmetic too.
    await sql`alter table till_closures disable trigger till_closures_no_update_delete`.execute(db);
    try {
      await assert.rejects(
        sql`update till_closures set opening_float_cents = 0 where id = ${closure.id}`.execute(db),
        /till_closures_difference/,
      );
    } finally {
      await sql`alter table till_closures enable trigger till_closures_no_update_delete`.execute(db);
    }
  });

  test('a closure signed before the opening float (message v1) still verifies, and its tampering is still caught', async () => {
    const old = await createClosureWorld(db);
    await old.sale({
      pointId: old.pointA,
      businessDay: D,
      items: [{ article: 'Beer', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
    const made = await closeDay(db, old.cashier, {
      placeId: old.place.id,
      pointId: old.pointA,
      businessDay: D,
      countedCashCents: 450,
    });
    // Rewritten as the version-1 closure the node would have made before migration 0017.
    const key = await loadNodeKey(db);
    const v1 = signText(key.privateKey, closureMessage(made, 1));
    await sql`alter table till_closures disable trigger till_closures_no_update_delete`.execute(db);
    try {
      await sql`update till_closures set message_version = 1, signature = ${v1} where id = ${made.id}`.execute(db);
      await assert.rejects(
        sql`update till_closures set opening_float_cents = 100, counted_cash_cents = 550 where id = ${made.id}`.execute(
          db,
        ),
        /till_closures_v1_no_float/,
      );
    } finally {
      await sql`alter table till_closures enable trigger till_closures_no_update_delete`.execute(db);
    }
    const stored = (await findClosure(db, old.place.id, made.id))!;
    assert.equal(stored.messageVersion, 1);
    assert.deepEqual(await verifyClosure(db, stored), { ok: true, problems: [] });
    assert.deepEqual((await verifyClosure(db, { ...stored, countedCashCents: 500, differenceCents: 50 })).problems, [
      'signature',
    ]);
    assert.deepEqual((await verifyClosure(db, { ...stored, openingFloatCents: 50 })).problems, ['version']);
  });

  test('a tampered closure fails verification', async () => {
    const closure = await closeDay(db, w.admin, {
      placeId: w.place.id,
      pointId: w.pointB,
      businessDay: D,
      countedCashCents: 450,
    });
    assert.equal(closure.differenceCents, 0);
    assert.equal((await verifyClosure(db, closure)).ok, true);
    // In memory: a total changed, the counted cash changed.
    const fakeTotals = { ...closure, totals: { ...closure.totals, expectedCashCents: 0 } };
    assert.deepEqual((await verifyClosure(db, fakeTotals)).problems, ['totals-digest', 'totals-differ', 'cash']);
    const fakeCount = { ...closure, countedCashCents: 1000, differenceCents: 550 };
    assert.deepEqual((await verifyClosure(db, fakeCount)).problems, ['signature']);
    const fakeSig = { ...closure, signature: closure.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    assert.deepEqual((await verifyClosure(db, fakeSig)).problems, ['signature']);
    // In the database, by someone who bypasses the trigger.
    await sql`alter table till_closures disable trigger till_closures_no_update_delete`.execute(db);
    try {
      await sql`update till_closures set totals = jsonb_set(totals, '{salesCount}', '2'::jsonb) where id = ${closure.id}`.execute(
        db,
      );
    } finally {
      await sql`alter table till_closures enable trigger till_closures_no_update_delete`.execute(db);
    }
    const stored = (await findClosure(db, w.place.id, closure.id))!;
    assert.equal(stored.totals.salesCount, 2);
    assert.deepEqual((await verifyClosure(db, stored)).problems, ['totals-digest', 'totals-differ']);
    // A journal line slipped in after the closure (triggers bypassed).
    await sql`alter table till_journal disable trigger till_journal_day_open`.execute(db);
    try {
      await w.sale({
        pointId: w.pointB,
        businessDay: D,
        items: [{ article: 'Beer', category: 'Drinks', vat: 2000, unitCents: 450 }],
        payments: [{ method: 'cash', amountCents: 450 }],
      });
    } finally {
      await sql`alter table till_journal enable trigger till_journal_day_open`.execute(db);
    }
    assert.ok((await verifyClosure(db, closure)).problems.includes('lines-after-closure'));
  });
});

describe('closeDay: input, permissions, tenancy', () => {
  let v: ClosureWorld;
  before(async () => {
    v = await createClosureWorld(db);
    await v.sale({
      pointId: v.pointA,
      businessDay: D,
      items: [{ article: 'Beer', vat: 2000, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 450 }],
    });
  });

  test('bad input → 422 with every field, nothing written', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['pointId:required', 'businessDay:required', 'countedCashCents:required']],
      [
        { pointId: 'x', businessDay: '2025-02-30', countedCashCents: -1 },
        ['pointId:invalid', 'businessDay:closures.day', 'countedCashCents:closures.counted-cash'],
      ],
      [
        { pointId: v.pointA, businessDay: '20/06/2025', countedCashCents: 10.5 },
        ['businessDay:closures.day', 'countedCashCents:closures.counted-cash'],
      ],
      [{ pointId: v.pointA, businessDay: D, countedCashCents: '450' }, ['countedCashCents:closures.counted-cash']],
      [
        { pointId: v.pointA, businessDay: D, countedCashCents: 1_000_000_001 },
        ['countedCashCents:closures.counted-cash'],
      ],
      [{ pointId: v.pointA, businessDay: D, countedCashCents: 0, note: 'x'.repeat(501) }, ['note:too-long']],
      [{ pointId: v.pointA, businessDay: D, countedCashCents: 0, note: 5 }, ['note:type']],
      [
        { pointId: v.pointA, businessDay: D, countedCashCents: 0, openingFloatCents: -100 },
        ['openingFloatCents:closures.opening-float'],
      ],
      [
        { pointId: v.pointA, businessDay: D, countedCashCents: 0, openingFloatCents: 12.5 },
        ['openingFloatCents:closures.opening-float'],
      ],
      [
        { pointId: v.pointA, businessDay: D, countedCashCents: 0, openingFloatCents: '100' },
        ['openingFloatCents:closures.opening-float'],
      ],
      [
        { pointId: v.pointA, businessDay: D, countedCashCents: 0, openingFloatCents: 1_000_000_001 },
        ['openingFloatCents:closures.opening-float'],
      ],
    ];
    for (const [input, fields] of cases) {
      const error = await closeDay(db, v.cashier, { placeId: v.place.id, ...input } as never).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(isCode('validation', 422)(error), JSON.stringify(input));
      assert.deepEqual(fieldsOf(error), fields, JSON.stringify(input));
    }
    assert.equal(await closuresOf(v.place.id), 0);
  });

  test('a day that has not started is refused; today may be closed; an unknown point is 404', async () => {
    const now = at('2025-06-21T01:00:00Z'); // 03:00 in Paris: still the 20th
    const error = await closeDay(
      db,
      v.cashier,
      { placeId: v.place.id, pointId: v.pointA, businessDay: '2025-06-21', countedCashCents: 0 },
      { now },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.deepEqual(fieldsOf(error), ['businessDay:closures.future-day']);
    await assert.rejects(
      closeDay(db, v.cashier, { placeId: v.place.id, pointId: uuidv7(), businessDay: D, countedCashCents: 0 }),
      isCode('not-found', 404),
    );
    await assert.rejects(
      closeDay(db, v.cashier, { placeId: v.place.id, pointId: w.pointA, businessDay: D, countedCashCents: 0 }),
      isCode('not-found', 404),
      "another venue's point",
    );
    assert.equal(await closuresOf(v.place.id), 0);
    const today = await closeDay(
      db,
      v.cashier,
      { placeId: v.place.id, pointId: v.pointB, businessDay: D, countedCashCents: 2000 },
      { now },
    );
    assert.deepEqual(
      [today.lineCount, today.firstPosition, today.lastPosition, today.expectedCashCents, today.differenceCents],
      [0, null, null, 0, 2000],
      'an empty day closes with the float counted',
    );
    assert.equal((await verifyClosure(db, today)).ok, true);
  });

  test("another venue's cashier, an editor, a stranger, a key of another venue → 403, nothing written; a till key may close", async () => {
    const other = await createClosureWorld(db);
    const editor = await v.person('editor');
    const stranger = await v.person(null);
    const input = { placeId: v.place.id, pointId: v.pointA, businessDay: D, countedCashCents: 450 };
    await assert.rejects(closeDay(db, other.cashier, input), isCode('forbidden', 403));
    await assert.rejects(closeDay(db, editor, input), isCode('forbidden', 403));
    await assert.rejects(closeDay(db, stranger, input), isCode('forbidden', 403));
    await assert.rejects(
      closeDay(db, { kind: 'apiKey', keyId: uuidv7(), placeId: other.place.id, scopes: ['till'] }, input),
      isCode('api-key-scope', 403),
    );
    await assert.rejects(
      closeDay(db, { kind: 'apiKey', keyId: uuidv7(), placeId: v.place.id, scopes: ['place:read'] }, input),
      isCode('api-key-scope', 403),
    );
    assert.equal(await closuresOf(v.place.id), 1, 'only the empty day closed in the test before');
    assert.equal(await auditsOf(v.place.id), 1);
    const keyId = uuidv7();
    const byKey = await closeDay(db, { kind: 'apiKey', keyId, placeId: v.place.id, scopes: ['till'] }, input);
    assert.deepEqual([byKey.closedBy, byKey.closedByApiKey, byKey.differenceCents], [null, keyId, 0]);
  });
});

describe('concurrency (PostgreSQL)', () => {
  test(
    'ten closures of the same point and day at once → one closure, nine till-closure-exists',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const v = await createClosureWorld(db);
      await v.sale({
        pointId: v.pointA,
        businessDay: D,
        items: [{ article: 'Beer', vat: 2000, unitCents: 450 }],
        payments: [{ method: 'cash', amountCents: 450 }],
      });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          closeDay(db, v.cashier, {
            placeId: v.place.id,
            pointId: v.pointA,
            businessDay: D,
            countedCashCents: 400 + i,
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => isCode('till-closure-exists', 409)((r as PromiseRejectedResult).reason)),
      );
      assert.equal(await closuresOf(v.place.id), 1);
    },
  );

  test(
    'sales racing a closure: each sale is either in the closure or refused, never after it',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const v = await createClosureWorld(db);
      const sell = () =>
        v.sale({
          pointId: v.pointA,
          businessDay: D,
          items: [{ article: 'Beer', vat: 2000, unitCents: 450 }],
          payments: [{ method: 'cash', amountCents: 450 }],
          checkOpen: true,
        });
      const sales = Array.from({ length: 30 }, () => sell());
      await new Promise((r) => setTimeout(r, 5));
      const closing = closeDay(db, v.cashier, {
        placeId: v.place.id,
        pointId: v.pointA,
        businessDay: D,
        countedCashCents: 0,
      });
      const more = Array.from({ length: 10 }, () => sell());
      const results = await Promise.allSettled([...sales, ...more]);
      const closure = await closing;
      const late = await Promise.allSettled(Array.from({ length: 5 }, () => sell()));
      assert.ok(
        late.every((r) => r.status === 'rejected' && isCode('till-day-closed', 409)(r.reason)),
        'every sale after the closure is refused',
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      assert.ok(ok >= 1, 'some sales went in before the closure');
      assert.ok(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => isCode('till-day-closed', 409)((r as PromiseRejectedResult).reason)),
      );
      assert.equal(closure.totals.salesCount, ok, 'every accepted sale is in the closure');
      assert.equal(closure.expectedCashCents, ok * 450);
      assert.deepEqual(await verifyClosure(db, closure), { ok: true, problems: [] });
      assert.equal(canonicalJson(closure.totals), canonicalJson(await sumsByHand(v.place.id, v.pointA, D)));
    },
  );
});
