import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onPostgres, type TestNode, useTestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { burnOnRefund } from './burnOnRefund.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';

let t: TestNode;
let world: LedgerWorld;
useTestNode(async (node) => {
  t = node;
  world = await createLedgerWorld(t.db);
});

/** A holder with a 100 € Stripe top-up and 100 € more from cash, so the wallet never limits a burn. */
async function toppedUp() {
  const p = await world.person();
  const reference = `pi_${uuidv7().replaceAll('-', '')}`;
  await mintAgainstPayment(t.db, SYSTEM, {
    id: uuidv7(),
    currencyCode: world.euro.code,
    accountId: p.euro.id,
    amount: 10_000,
    payment: { provider: 'stripe', reference },
  });
  await world.fund(p.euro.id, 10_000);
  return { ...p, reference };
}

const paidBack = async (reference: string) =>
  (
    await t.db
      .selectFrom('ledger_payouts')
      .select('amount_cents')
      .where('payment_provider', '=', 'stripe')
      .where('payment_reference', '=', reference)
      .execute()
  ).reduce((sum, r) => sum + r.amount_cents, 0);

test('refunds of one payment one after the other never burn more than the payment', async () => {
  const p = await toppedUp();
  const burn = (amount: number) =>
    burnOnRefund(t.db, SYSTEM, {
      id: uuidv7(),
      payment: { provider: 'stripe', reference: p.reference },
      refund: { provider: 'stripe', reference: `re_${uuidv7()}` },
      amount,
    });
  assert.equal((await burn(6_000)).burned, 6_000);
  assert.equal((await burn(6_000)).burned, 4_000, 'only what is left of the payment');
  await assert.rejects(burn(1), (e: unknown) => e instanceof DomainError && e.code === 'ledger-nothing-to-burn');
  assert.equal(await paidBack(p.reference), 10_000);
  assert.equal((await verifyLedger(t.db, { currencyCode: world.euro.code })).ok, true);
});

test(
  'concurrent refunds of one payment burn at most the payment in total (payouts read under the lock)',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  async () => {
    const p = await toppedUp();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        burnOnRefund(t.db, SYSTEM, {
          id: uuidv7(),
          payment: { provider: 'stripe', reference: p.reference },
          refund: { provider: 'stripe', reference: `re_${uuidv7()}` },
          amount: 10_000,
        }),
      ),
    );
    const burned = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.burned] : []));
    for (const r of results)
      if (r.status === 'rejected')
        assert.ok(r.reason instanceof DomainError && r.reason.code === 'ledger-nothing-to-burn', String(r.reason));
    assert.deepEqual(burned, [10_000], 'one refund burns the payment, the others find nothing left');
    assert.equal(await paidBack(p.reference), 10_000);
    const wallet = await t.db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', p.euro.id)
      .executeTakeFirstOrThrow();
    assert.equal(wallet.balance, 10_000, 'the cash top-up stays on the wallet');
    assert.equal((await verifyLedger(t.db, { currencyCode: world.euro.code })).ok, true);
  },
);
