import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, type TestNode, useTestNode } from '../../test/harness.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTransfers } from './createTransfers.ts';
import { listHolderDebts } from './listHolderDebts.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { reverseTopUp } from './reverseTopUp.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';

// docs/LEDGER.md rule 5: reversals of a top-up burn what they can and record the rest as a debt.

let t: TestNode;
let world: LedgerWorld;
useTestNode(
  async (node) => {
    t = node;
    world = await createLedgerWorld(t.db);
  },
  { operators: [] },
);

async function toppedUp(cents: number) {
  const p = await world.person();
  const reference = `pi_${uuidv7().replaceAll('-', '')}`;
  await mintAgainstPayment(t.db, SYSTEM, {
    id: uuidv7(),
    currencyCode: world.euro.code,
    accountId: p.euro.id,
    amount: cents,
    payment: { provider: 'stripe', reference },
  });
  return { ...p, reference };
}
const reverse = (reference: string, amount: number, reversal = `re_${uuidv7()}`) =>
  reverseTopUp(t.db, SYSTEM, {
    payment: { provider: 'stripe', reference },
    reversal: { provider: 'stripe', reference: reversal, kind: 'refund' },
    amount,
  });
const balance = async (id: string) =>
  (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance;

test('burns what the wallet holds, the shortfall is a debt; one reversal is recorded once', async () => {
  const p = await toppedUp(5000);
  const venue = await world.placeAccount(world.venueA.id, world.euro);
  await createTransfers(t.db, p.actor, {
    transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 3500, kind: 'payment' }],
  });
  const first = await reverse(p.reference, 2000, 're_once');
  assert.deepEqual(first, { burned: 1500, debt: 500 });
  assert.deepEqual(await reverse(p.reference, 2000, 're_once'), first, 'the same reversal again: its first result');
  assert.equal(await balance(p.euro.id), 0);
  // Beyond the payment nothing more is taken back: 5000 paid, 2000 reversed, 3000 left.
  assert.deepEqual(await reverse(p.reference, 9000), { burned: 0, debt: 3000 });
  assert.deepEqual(await reverse(p.reference, 100), { burned: 0, debt: 0 });
  const debts = await listHolderDebts(t.db, SYSTEM, {});
  const mine = debts.filter((d) => d.accountId === p.euro.id);
  assert.deepEqual(mine.map((d) => d.amountCents).sort(), [3000, 500]);
  assert.ok(mine.every((d) => d.personId === p.actor.personId && d.currencyCode === world.euro.code));
  const verified = await verifyLedger(t.db, { currencyCode: world.euro.code });
  assert.equal(verified.ok, true, JSON.stringify(verified.problem));
  assert.equal(verified.currencies[0]!.debts, 3500);
});

test('only the node reverses; only operators (and the node) read the debts', async () => {
  const p = await toppedUp(1000);
  await assert.rejects(
    reverseTopUp(t.db, p.actor, {
      payment: { provider: 'stripe', reference: p.reference },
      reversal: { provider: 'stripe', reference: 're_x', kind: 'refund' },
      amount: 1000,
    }),
    (e: unknown) => e instanceof DomainError && e.status === 403,
  );
  await assert.rejects(
    listHolderDebts(t.db, personActor(p.actor.personId), {}),
    (e: unknown) => e instanceof DomainError && e.status === 403,
  );
  assert.equal(await balance(p.euro.id), 1000);
});

test('verify finds a debt that takes back more than its payment', async () => {
  const p = await toppedUp(1000);
  await reverse(p.reference, 400);
  await sql`insert into ledger_debts (reversal_provider, reversal_reference, reason, currency_id, account_id, payment_provider, payment_reference, amount_cents)
    values ('stripe', ${`dp_forged_${uuidv7()}`}, 'dispute', ${world.euro.id}::uuid, ${p.euro.id}::uuid, 'stripe', ${p.reference}, 700)`.execute(
    t.db,
  );
  const verified = await verifyLedger(t.db, { currencyCode: world.euro.code });
  assert.equal(verified.ok, false);
  assert.equal(verified.problem!.check, 'reversed-beyond-payment');
  await sql`delete from ledger_debts where reversal_reference like 'dp_forged_%'`.execute(t.db);
});

test(
  'concurrent reversals of one payment never take back more than the payment',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  async () => {
    const p = await toppedUp(10_000);
    await world.fund(p.euro.id, 10_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => reverse(p.reference, 6_000)));
    const burned = results.reduce((s, r) => s + r.burned, 0);
    const debt = results.reduce((s, r) => s + r.debt, 0);
    assert.equal(burned + debt, 10_000);
    assert.equal(burned, 10_000, 'the wallet covered it all');
    assert.equal(await balance(p.euro.id), 10_000);
    assert.equal((await verifyLedger(t.db, { currencyCode: world.euro.code })).ok, true);
  },
);
