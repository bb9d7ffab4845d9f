import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SYSTEM } from '../access/actor.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createCurrency } from './createCurrency.ts';
import { createHold } from './createHold.ts';
import { ensureAccount } from './ensureAccount.ts';
import { expireHolds } from './expireHolds.ts';
import { capturedLogger, useLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

const pendingOf = async (accountId: string) =>
  Number(
    (
      await db
        .selectFrom('ledger_accounts')
        .select('pending_debits')
        .where('id', '=', accountId)
        .executeTakeFirstOrThrow()
    ).pending_debits,
  );
const voidOf = (holdId: string) =>
  db.selectFrom('ledger_transfers').select('id').where('pending_id', '=', holdId).where('phase', '=', 'void').execute();
const failureOf = (holdId: string) =>
  db.selectFrom('ledger_hold_expiry_failures').selectAll().where('hold_id', '=', holdId).executeTakeFirst();

describe('expiry of holds', () => {
  test('a hold that cannot be voided (archived currency) is logged and retried later; the others are voided', async () => {
    // A gift currency of venue A, accepted by A, with a hold on it that expires first.
    const n = uuidv7().slice(-6).toUpperCase();
    const doomed = await createCurrency(db, SYSTEM, {
      code: `X${n}`,
      name: 'Soon archived',
      kind: 'gift',
      decimals: 2,
      issuerPlaceId: w.venueA.id,
    });
    const p = await w.person();
    const doomedAccount = await ensureAccount(db, {
      currencyId: doomed.id,
      ownerKind: 'person',
      ownerRef: p.actor.personId,
    });
    await w.fund(doomedAccount.id, 500, doomed);
    await w.fund(p.euro.id, 500);
    const venueDoomed = await w.placeAccount(w.venueA.id, doomed);
    const venueEuro = await w.placeAccount(w.venueA.id, w.euro);
    const bad = uuidv7();
    await createHold(db, p.actor, {
      id: bad,
      debitAccountId: doomedAccount.id,
      creditAccountId: venueDoomed.id,
      amount: 200,
      kind: 'payment',
      ttlSeconds: 60,
    });
    const good = uuidv7();
    await createHold(db, p.actor, {
      id: good,
      debitAccountId: p.euro.id,
      creditAccountId: venueEuro.id,
      amount: 300,
      kind: 'payment',
      ttlSeconds: 120,
    });
    await db.updateTable('ledger_currencies').set({ status: 'archived' }).where('id', '=', doomed.id).execute();

    // Both expired; the batch holds one hold: the bad one (oldest expiry) first.
    const later = new Date(Date.now() + 10 * 60_000);
    const { logger, lines } = capturedLogger();
    assert.equal(await expireHolds(db, later, { limit: 1, logger }), 0);
    const failure = await failureOf(bad);
    assert.ok(failure, 'the failure is recorded');
    assert.equal(failure.attempts, 1);
    assert.match(failure.last_error, /ledger-currency-archived/);
    assert.ok(new Date(failure.retry_at).getTime() > later.getTime(), 'retried later, not at once');
    const logged = lines.find((l) => l.holdId === bad);
    assert.ok(logged, 'the failure is logged with the hold');
    assert.equal(logged.level, 50);
    // The next batch does not start with the failing hold again: the good one is voided.
    assert.equal(await expireHolds(db, later, { limit: 1, logger }), 1);
    assert.equal((await voidOf(good)).length, 1);
    assert.equal(await pendingOf(p.euro.id), 0);
    assert.equal((await voidOf(bad)).length, 0);
    assert.equal(await pendingOf(doomedAccount.id), 200);

    // Past its retry time, still archived: tried again, one more attempt, nothing else written.
    const retry = new Date(new Date(failure.retry_at).getTime() + 1000);
    assert.equal(await expireHolds(db, retry, { logger }), 0);
    const second = await failureOf(bad);
    assert.equal(second?.attempts, 2);
    assert.ok(
      new Date(second!.retry_at).getTime() - retry.getTime() >= 2 * 60_000 - 1000,
      'waits longer after each failure',
    );
    // The currency made active again: the hold expires at its next try, and its failure row goes.
    await db.updateTable('ledger_currencies').set({ status: 'active' }).where('id', '=', doomed.id).execute();
    const third = new Date(new Date(second!.retry_at).getTime() + 1000);
    assert.equal(await expireHolds(db, third, { logger }), 1);
    assert.equal((await voidOf(bad)).length, 1);
    assert.equal(await pendingOf(doomedAccount.id), 0);
    assert.equal(await failureOf(bad), undefined);
    assert.equal((await verifyLedger(db)).problem, null);
  });

  test('the backoff is capped at one hour', async () => {
    const n = uuidv7().slice(-6).toUpperCase();
    const doomed = await createCurrency(db, SYSTEM, {
      code: `Y${n}`,
      name: 'Archived for long',
      kind: 'gift',
      decimals: 2,
      issuerPlaceId: w.venueA.id,
    });
    const p = await w.person();
    const account = await ensureAccount(db, { currencyId: doomed.id, ownerKind: 'person', ownerRef: p.actor.personId });
    await w.fund(account.id, 100, doomed);
    const hold = uuidv7();
    await createHold(db, p.actor, {
      id: hold,
      debitAccountId: account.id,
      creditAccountId: (await w.placeAccount(w.venueA.id, doomed)).id,
      amount: 100,
      kind: 'payment',
      ttlSeconds: 1,
    });
    await db.updateTable('ledger_currencies').set({ status: 'archived' }).where('id', '=', doomed.id).execute();
    const { logger } = capturedLogger();
    let at = new Date(Date.now() + 60_000);
    for (let i = 0; i < 9; i++) {
      await expireHolds(db, at, { logger });
      const f = await failureOf(hold);
      assert.equal(f?.attempts, i + 1);
      const wait = new Date(f!.retry_at).getTime() - at.getTime();
      assert.equal(wait, Math.min(60_000 * 2 ** i, 3600_000));
      at = new Date(new Date(f!.retry_at).getTime() + 1);
    }
  });
});
