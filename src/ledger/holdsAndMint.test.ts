import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM, type ApiKeyActor, type PersonActor } from '../access/actor.ts';
import { isCode, onPostgres } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { burnOnRefund } from './burnOnRefund.ts';
import { createHold } from './createHold.ts';
import { expireHolds } from './expireHolds.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { postHold } from './postHold.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';
import { voidHold } from './voidHold.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

const account = (id: string) =>
  db.selectFrom('ledger_accounts').select(['balance', 'pending_debits']).where('id', '=', id).executeTakeFirstOrThrow();
/** A payment hold of `amount` cents from a person's euro wallet to an account. */
const hold = (
  p: { actor: PersonActor; euro: { id: string } },
  creditAccountId: string,
  amount: number,
  id: string,
  ttlSeconds?: number,
) => createHold(db, p.actor, { id, debitAccountId: p.euro.id, creditAccountId, amount, kind: 'payment', ttlSeconds });
const keyOf = (placeId: string): ApiKeyActor => ({ kind: 'apiKey', keyId: uuidv7(), placeId, scopes: ['till'] });

describe('holds', () => {
  test('a hold reserves funds; a partial post settles once; a second post or void is refused', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const holdId = uuidv7();
    await hold(p, bar.id, 800, holdId);
    assert.deepEqual(await account(p.euro.id), { balance: 1000, pending_debits: 800 });
    // The reserved funds cannot be spent twice: a second hold beyond what is left is refused.
    await assert.rejects(hold(p, bar.id, 201, uuidv7()), isCode('ledger-insufficient-funds'));
    // The person cannot settle the venue's hold themselves.
    await assert.rejects(postHold(db, p.actor, { id: uuidv7(), holdId }), isCode('forbidden'));
    const key = keyOf(w.venueB.id);
    await assert.rejects(postHold(db, key, { id: uuidv7(), holdId, amount: 801 }), isCode('ledger-post-exceeds-hold'));
    const postId = uuidv7();
    await postHold(db, key, { id: postId, holdId, amount: 650 });
    assert.deepEqual(await account(p.euro.id), { balance: 350, pending_debits: 0 });
    assert.equal((await account(bar.id)).balance, 650);
    // Retrying the same post is idempotent; another post or a void is refused.
    assert.equal((await postHold(db, key, { id: postId, holdId, amount: 650 })).replayed, true);
    await assert.rejects(postHold(db, key, { id: uuidv7(), holdId }), isCode('ledger-hold-resolved'));
    await assert.rejects(voidHold(db, key, { id: uuidv7(), holdId }), isCode('ledger-hold-resolved'));
    assert.equal((await verifyLedger(db)).problem, null);
  });

  test('a post or void replayed by someone else gets a 409, not the stored resolution (issue 12 #9)', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const holdId = uuidv7();
    await hold(p, bar.id, 300, holdId);
    const key = keyOf(w.venueB.id);
    const postId = uuidv7();
    const posted = await postHold(db, key, { id: postId, holdId, amount: 200 });
    // Another venue's key, the payer, another key of the same venue: the same post id is not theirs.
    for (const other of [keyOf(w.venueA.id), p.actor, keyOf(w.venueB.id)]) {
      await assert.rejects(
        postHold(db, other, { id: postId, holdId, amount: 200 }),
        isCode('ledger-transfer-id-conflict'),
        JSON.stringify(other),
      );
    }
    // Its own requester still gets its first answer.
    assert.deepEqual((await postHold(db, key, { id: postId, holdId, amount: 200 })).transfers, posted.transfers);
    const voidedHold = uuidv7();
    await hold(p, bar.id, 100, voidedHold);
    const voidId = uuidv7();
    await voidHold(db, key, { id: voidId, holdId: voidedHold });
    await assert.rejects(
      voidHold(db, p.actor, { id: voidId, holdId: voidedHold }),
      isCode('ledger-transfer-id-conflict'),
    );
  });

  test('a void releases the hold; an expired hold cannot be posted and is voided by expireHolds', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 500);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const key = keyOf(w.venueB.id);
    const a = uuidv7();
    await hold(p, bar.id, 100, a);
    await voidHold(db, key, { id: uuidv7(), holdId: a });
    assert.deepEqual(await account(p.euro.id), { balance: 500, pending_debits: 0 });
    const b = uuidv7();
    await hold(p, bar.id, 300, b, 1);
    await new Promise((r) => setTimeout(r, 1100));
    await assert.rejects(postHold(db, key, { id: uuidv7(), holdId: b }), isCode('ledger-hold-expired'));
    assert.ok((await expireHolds(db)) >= 1);
    assert.deepEqual(await account(p.euro.id), { balance: 500, pending_debits: 0 });
    assert.equal(await expireHolds(db), 0);
    await assert.rejects(hold(p, bar.id, 1, uuidv7(), 0), isCode('validation'));
  });

  test(
    'on PostgreSQL: a post and a void racing on one hold → exactly one wins',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const p = await w.person();
      await w.fund(p.euro.id, 500);
      const bar = await w.placeAccount(w.venueB.id, w.euro);
      const key = keyOf(w.venueB.id);
      const holdId = uuidv7();
      await hold(p, bar.id, 100, holdId);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 ? postHold(db, key, { id: uuidv7(), holdId }) : voidHold(db, key, { id: uuidv7(), holdId }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => isCode('ledger-hold-resolved')((r as PromiseRejectedResult).reason)),
      );
      assert.equal((await account(p.euro.id)).pending_debits, 0);
    },
  );
});

describe('minting and burning (rule 5)', () => {
  test('the euro token is minted only against a payment reference, once', async () => {
    const p = await w.person();
    await assert.rejects(
      mintAgainstPayment(db, SYSTEM, { id: uuidv7(), currencyCode: w.euro.code, accountId: p.euro.id, amount: 100 }),
      isCode('validation'),
    );
    const payment = { provider: 'stripe' as const, reference: `pi_${uuidv7()}` };
    const id = uuidv7();
    await mintAgainstPayment(db, SYSTEM, {
      id,
      currencyCode: w.euro.code,
      accountId: p.euro.id,
      amount: 2000,
      payment,
    });
    // The webhook delivered twice with the same transfer id: the first result, nothing more.
    assert.equal(
      (
        await mintAgainstPayment(db, SYSTEM, {
          id,
          currencyCode: w.euro.code,
          accountId: p.euro.id,
          amount: 2000,
          payment,
        })
      ).replayed,
      true,
    );
    // The same payment under another transfer id: refused.
    await assert.rejects(
      mintAgainstPayment(db, SYSTEM, {
        id: uuidv7(),
        currencyCode: w.euro.code,
        accountId: p.euro.id,
        amount: 2000,
        payment,
      }),
      isCode('ledger-payment-reference-used'),
    );
    assert.equal((await account(p.euro.id)).balance, 2000);
  });

  test('a venue mints only its own currencies; the euro only as cash at a member venue’s counter', async () => {
    const p = await w.person();
    const before = (await account(p.gift.id)).balance;
    // Venue B does not issue venue A's gift credit.
    await assert.rejects(
      mintAgainstPayment(db, keyOf(w.venueB.id), {
        id: uuidv7(),
        currencyCode: w.gift.code,
        accountId: p.gift.id,
        amount: 100,
      }),
      isCode('ledger-mint-forbidden'),
    );
    await mintAgainstPayment(db, keyOf(w.venueA.id), {
      id: uuidv7(),
      currencyCode: w.gift.code,
      accountId: p.gift.id,
      amount: 100,
    });
    assert.equal((await account(p.gift.id)).balance, before + 100);
    // A venue cannot claim a Stripe payment; a person cannot mint for themselves.
    await assert.rejects(
      mintAgainstPayment(db, keyOf(w.venueA.id), {
        id: uuidv7(),
        currencyCode: w.euro.code,
        accountId: p.euro.id,
        amount: 100,
        payment: { provider: 'stripe', reference: `pi_${uuidv7()}` },
      }),
      isCode('ledger-mint-forbidden'),
    );
    await assert.rejects(
      mintAgainstPayment(db, p.actor, {
        id: uuidv7(),
        currencyCode: w.euro.code,
        accountId: p.euro.id,
        amount: 100,
        payment: { provider: 'cash', reference: 'c' },
      }),
      isCode('forbidden'),
    );
    await mintAgainstPayment(db, keyOf(w.venueA.id), {
      id: uuidv7(),
      currencyCode: w.euro.code,
      accountId: p.euro.id,
      amount: 100,
      payment: { provider: 'cash', reference: `cash-${uuidv7()}` },
    });
    assert.equal((await verifyLedger(db)).problem, null);
  });

  test('a refund burns only what is still there, and the backing stays exact', async () => {
    const p = await w.person();
    const payment = { provider: 'stripe' as const, reference: `pi_${uuidv7()}` };
    await mintAgainstPayment(db, SYSTEM, {
      id: uuidv7(),
      currencyCode: w.euro.code,
      accountId: p.euro.id,
      amount: 1000,
      payment,
    });
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    await db.transaction().execute(async (trx) => {
      const { createTransfers } = await import('./createTransfers.ts');
      await createTransfers(trx, p.actor, {
        transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 600, kind: 'payment' }],
      });
    });
    const r = await burnOnRefund(db, SYSTEM, {
      id: uuidv7(),
      payment,
      refund: { provider: 'stripe', reference: `re_${uuidv7()}` },
      amount: 1000,
    });
    assert.equal(r.burned, 400);
    assert.equal((await account(p.euro.id)).balance, 0);
    await assert.rejects(
      burnOnRefund(db, SYSTEM, {
        id: uuidv7(),
        payment,
        refund: { provider: 'stripe', reference: `re_${uuidv7()}` },
        amount: 1,
      }),
      isCode('ledger-nothing-to-burn'),
    );
    await assert.rejects(
      burnOnRefund(db, p.actor, { id: uuidv7(), payment, refund: { provider: 'stripe', reference: 'x' }, amount: 1 }),
      isCode('forbidden'),
    );
    assert.equal((await verifyLedger(db, { currencyCode: w.euro.code })).problem, null);
  });

  test('use cases join the caller’s transaction: a failure later in it undoes the mint', async () => {
    const p = await w.person();
    const payment = { provider: 'stripe' as const, reference: `pi_${uuidv7()}` };
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await mintAgainstPayment(trx, SYSTEM, {
          id: uuidv7(),
          currencyCode: w.euro.code,
          accountId: p.euro.id,
          amount: 500,
          payment,
        });
        throw new Error('the order failed');
      }),
      /the order failed/,
    );
    assert.equal((await account(p.euro.id)).balance, 0);
    const used = await sql`select 1 from ledger_payment_references where reference = ${payment.reference}`.execute(db);
    assert.equal(used.rows.length, 0);
  });
});
