import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode } from '../../test/harness.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { DomainError } from '../shared/errors.ts';
import { markPaid } from './markPaid.ts';
import { payByStripe } from './payByStripe.ts';
import { runSettlement } from './runSettlement.ts';
import { getStatement } from './statements.ts';
import { createSettlementWorld, type SettlementWorld } from './testFixtures.ts';
import { useStripeTestNode, type StripeTestNode } from '../payments/testFixtures.ts';

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

const pause = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const connect = async (w: SettlementWorld, account: string) => {
  await t.db.updateTable('places').set({ stripe_account_id: account }).where('id', '=', w.venueA.id).execute();
  t.fake.connectedAccounts.add(account);
};
/** A world whose venue A sold `beers` beers, settled: A's statement (to pay). */
async function settled(beers: number) {
  const w = await createSettlementWorld(t);
  const card = await w.card(50_000);
  await w.barSale(card, beers);
  await pause();
  const { statements } = await runSettlement(t.db, w.treasurer.actor, {
    federation: w.federation.slug,
    until: new Date(),
  });
  return { w, a: statements.find((s) => s.placeId === w.venueA.id)! };
}
const transfersTo = (account: string) => [...t.fake.transfers.values()].filter((tr) => tr.destination === account);
const expectProblem = async (p: Promise<unknown>, code: string, status: number) =>
  assert.rejects(p, (e: unknown) => e instanceof DomainError && e.code === code && e.status === status);

describe('payouts through Stripe Connect', () => {
  test('a Stripe transfer to the venue’s connected account, with an idempotency key and the payout as transfer group; once', async () => {
    const { w, a } = await settled(4);
    const account = `acct_${w.federation.id.replace(/-/g, '').slice(0, 16)}`;
    await connect(w, account);
    const payout = await payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id });
    assert.equal(payout.status, 'paid');
    assert.match(payout.reference ?? '', /^tr_/);
    const [transfer, ...more] = transfersTo(account);
    assert.equal(more.length, 0);
    assert.deepEqual(
      [transfer!.id, transfer!.amount, transfer!.currency, transfer!.transfer_group, transfer!.metadata.statement],
      [payout.reference, 1400, 'eur', payout.id, a.id],
    );
    const create = t.fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/transfers')!;
    assert.match(create.idempotencyKey ?? '', new RegExp(`^settlement-payout-${payout.id}-`));
    assert.equal(create.account, null, 'sent from the platform account, not on behalf of the venue');
    assert.equal((await getStatement(t.db, w.treasurer.actor, a.id)).state, 'paid');
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 0);
    await expectProblem(
      payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id }),
      'settlement-already-settled',
      409,
    );
    assert.equal(transfersTo(account).length, 1);
    assert.equal((await verifyLedger(t.db)).problem, null);
  });

  test('Stripe down: the payout waits (pending), runs wait for it; Stripe refusing: failed; tried again, it pays once', async () => {
    const { w, a } = await settled(2);
    const account = `acct_down${w.federation.id.replace(/-/g, '').slice(0, 12)}`;
    await connect(w, account);
    t.fake.failNext = 10; // more than the SDK's own retries
    await expectProblem(
      payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id }),
      'settlement-stripe-failed',
      502,
    );
    t.fake.failNext = 0;
    const row = () =>
      t.db.selectFrom('settlement_payouts').selectAll().where('statement_id', '=', a.id).executeTakeFirstOrThrow();
    // An outage leaves it uncertain: Stripe may have made the transfer. Nothing else may settle meanwhile.
    assert.equal((await row()).status, 'pending');
    assert.ok((await row()).last_error);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 700);
    await expectProblem(
      runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: new Date() }),
      'settlement-payout-pending',
      409,
    );
    await expectProblem(
      markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference: 'VIR-X' }),
      'settlement-payout-pending',
      409,
    );
    // Not enough money on the platform's Stripe balance: refused by Stripe (nothing moved), failed.
    t.fake.balance = 100;
    await expectProblem(
      payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id }),
      'settlement-stripe-failed',
      502,
    );
    t.fake.balance = 1_000_000_000;
    assert.equal((await row()).status, 'failed');
    assert.equal(transfersTo(account).length, 0);
    const paid = await payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.attempts, 2, 'a new attempt (a new idempotency key) after a refusal');
    assert.equal(transfersTo(account).length, 1);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 0);
  });

  test('a crash after Stripe made the transfer and before it was recorded: trying again records that transfer, never a second one', async () => {
    const { w, a } = await settled(3);
    const account = `acct_crash${w.federation.id.replace(/-/g, '').slice(0, 12)}`;
    await connect(w, account);
    await sql
      .raw(
        `create function settlement_test_crash() returns trigger language plpgsql as $$ begin
           if new.status = 'paid' then raise exception 'injected crash'; end if; return new; end $$;`,
      )
      .execute(t.db);
    await sql
      .raw(
        `create trigger settlement_test_crash before update on settlement_payouts for each row execute function settlement_test_crash();`,
      )
      .execute(t.db);
    try {
      await assert.rejects(payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id }));
    } finally {
      await sql.raw('drop trigger settlement_test_crash on settlement_payouts').execute(t.db);
      await sql.raw('drop function settlement_test_crash()').execute(t.db);
    }
    assert.equal(transfersTo(account).length, 1, 'Stripe made the transfer');
    const pending = await t.db
      .selectFrom('settlement_payouts')
      .selectAll()
      .where('statement_id', '=', a.id)
      .executeTakeFirstOrThrow();
    assert.equal(pending.status, 'pending');
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 1050, 'nothing posted yet');
    const paid = await payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id });
    assert.equal(paid.reference, transfersTo(account)[0]!.id);
    assert.equal(transfersTo(account).length, 1);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 0);
    assert.equal((await verifyLedger(t.db)).problem, null);
  });

  test('no connected account, or a node without Stripe: refused, nothing written', async () => {
    const { w, a } = await settled(1);
    const before = await w.counts();
    await expectProblem(
      payByStripe(t.db, t.node.stripe, w.treasurer.actor, { statementId: a.id }),
      'settlement-no-connected-account',
      409,
    );
    await expectProblem(
      payByStripe(t.db, null, w.treasurer.actor, { statementId: a.id }),
      'settlement-stripe-off',
      409,
    );
    assert.deepEqual(await w.counts(), before);
  });

  test('without Stripe on the node, the rest of settlement works', async () => {
    const plain = await createTestNode();
    try {
      const w = await createSettlementWorld(plain);
      const card = await w.card(5_000);
      await w.barSale(card, 1);
      await pause();
      const { run } = await runSettlement(plain.db, w.treasurer.actor, {
        federation: w.federation.slug,
        until: new Date(),
      });
      assert.equal(run.status, 'complete');
    } finally {
      await plain.close();
    }
  });
});
