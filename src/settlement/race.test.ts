import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, onPostgres, type TestNode } from '../../test/harness.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { DomainError } from '../shared/errors.ts';
import { markPaid } from './markPaid.ts';
import { runSettlement } from './runSettlement.ts';
import { createSettlementWorld } from './testFixtures.ts';

const skip = !onPostgres && 'needs PostgreSQL: sales, runs and payouts in truly concurrent transactions';
let t: TestNode;
before(async () => {
  if (!skip) t = await createTestNode();
});
after(() => t?.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('settlement under concurrency (PostgreSQL)', () => {
  test(
    'a run racing bar sales counts each sale once: in this period or the next, never both, never none',
    { skip, timeout: 300_000 },
    async (context) => {
      const w = await createSettlementWorld(t);
      const cards = await Promise.all(Array.from({ length: 8 }, () => w.card(1_000_000)));
      const sold: { saleId: string; amount: number }[] = [];
      let stop = false;
      const worker = async (n: number) => {
        for (let i = 0; !stop; i++) sold.push(await w.barSale(cards[n]!, 1 + ((n + i) % 3)));
      };
      const workers = cards.map((_, n) => worker(n));
      while (sold.length < 40) await pause(2);
      // The end is "now" while sales keep coming: some written before it commit after the run read.
      const first = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: new Date() });
      const atFirst = sold.length;
      while (sold.length < atFirst + 40) await pause(2);
      stop = true;
      await Promise.all(workers);
      await pause(5);
      const second = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: new Date() });

      const payments = await t.db
        .selectFrom('ledger_transfers')
        .select(['id', 'amount'])
        .where(sql<boolean>`metadata->>'sale' = any(${sold.map((s) => s.saleId)}::text[])`)
        .execute();
      assert.equal(payments.length, sold.length, 'one payment transfer per sale');
      const statements = [...first.statements, ...second.statements].filter((s) => s.placeId === w.venueA.id);
      const claimed = await t.db
        .selectFrom('ledger_settled_items')
        .select(['transfer_id', 'statement_id'])
        .where('side', '=', 'tokens')
        .where(
          'statement_id',
          'in',
          statements.map((s) => s.id),
        )
        .execute();
      const times = new Map<string, number>();
      for (const c of claimed) times.set(c.transfer_id, (times.get(c.transfer_id) ?? 0) + 1);
      assert.deepEqual(
        payments.filter((p) => times.get(p.id) !== 1).map((p) => [p.id, times.get(p.id) ?? 0]),
        [],
        'every sale in exactly one statement',
      );
      const total = sold.reduce((n, s) => n + s.amount, 0);
      assert.equal(
        statements.reduce((n, s) => n + s.tokensCents, 0),
        total,
      );
      assert.ok(statements[0]!.tokensCents > 0 && statements[1]!.tokensCents > 0, 'sales in both periods');
      // Sales written before the first end but committed after that run read its venue: counted next time.
      const late = await t.db
        .selectFrom('ledger_settled_items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('statement_id', '=', statements[1]!.id)
        .where('late', '=', true)
        .executeTakeFirstOrThrow();
      context.diagnostic(`${sold.length} sales: ${atFirst} sold before the first run returned, ${Number(late.n)} late`);
      assert.equal(await w.balanceOf('place', w.venueA.id), 0);
      const result = await verifyLedger(t.db);
      assert.equal(result.problem, null, JSON.stringify(result.problem));
    },
  );

  test('runs started together settle once; payouts clicked together pay once', { skip, timeout: 120_000 }, async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(50_000);
    for (let i = 0; i < 5; i++) await w.barSale(card, 2);
    await w.payB(1500);
    await pause(5);
    const until = new Date();
    await pause(5);
    const runs = await Promise.allSettled(
      Array.from({ length: 6 }, () => runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until })),
    );
    assert.deepEqual(
      runs.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      [],
    );
    const ids = new Set(
      runs.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof runSettlement>>>).value.run.id),
    );
    assert.equal(ids.size, 1);
    const statements = await t.db
      .selectFrom('settlement_statements')
      .select(['id', 'place_id'])
      .where('federation_id', '=', w.federation.id)
      .execute();
    assert.equal(statements.length, 2);
    const a = statements.find((s) => s.place_id === w.venueA.id)!;
    const paid = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference: `VIR-RACE-${i}` }),
      ),
    );
    const ok = paid.filter((p) => p.status === 'fulfilled');
    assert.equal(ok.length, 1);
    for (const p of paid)
      if (p.status === 'rejected') {
        assert.ok(p.reason instanceof DomainError, String(p.reason));
        assert.equal(p.reason.code, 'settlement-already-settled');
      }
    const payouts = await t.db.selectFrom('settlement_payouts').select('id').where('statement_id', '=', a.id).execute();
    assert.equal(payouts.length, 1);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 0);
    const result = await verifyLedger(t.db);
    assert.equal(result.problem, null, JSON.stringify(result.problem));
  });
});
