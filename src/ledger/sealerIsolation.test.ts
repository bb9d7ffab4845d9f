// A currency the sealer cannot seal must not stop the others (docs/LEDGER.md, "A currency that cannot be
// sealed does not stop the others"). Its own database: the failing currencies stay failing here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { MAX_SUPPLY_MINOR } from '../shared/money.ts';
import { createCurrency } from './createCurrency.ts';
import { ensureAccount } from './ensureAccount.ts';
import type { Currency } from './ledger.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { sealBlocks, startSealer } from './sealer.ts';
import { signCheckpoints } from './signCheckpoints.ts';
import { capturedLogger, useLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

/** A gift currency of venue A with 100 minted onto a person's account; returns the accounts. */
async function giftCurrency(letter: string) {
  const currency = await createCurrency(db, SYSTEM, {
    code: `${letter}${uuidv7().slice(-6).toUpperCase()}`,
    name: `Currency ${letter}`,
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: w.venueA.id,
  });
  const p = await w.person();
  const wallet = await ensureAccount(db, { currencyId: currency.id, ownerKind: 'person', ownerRef: p.actor.personId });
  await mintAgainstPayment(db, SYSTEM, {
    id: uuidv7(),
    currencyCode: currency.code,
    accountId: wallet.id,
    amount: 100,
  });
  const issuance = await ensureAccount(db, { currencyId: currency.id, ownerKind: 'system', ownerRef: 'issuance' });
  return { currency, wallet: wallet.id, issuance: issuance.id };
}

/** A transfer written behind the application's back (no balance moved), queued for the sealer. */
async function insertBehindTheBack(currency: Currency, debit: string, credit: string, amount: string) {
  const id = uuidv7();
  await sql`insert into ledger_transfers (id, currency_id, hash, phase, kind, debit_account_id, credit_account_id, amount,
      authorised_by, authoriser_id, metadata, request_sha256, created_at)
    values (${id}::uuid, ${currency.id}::uuid, ${'ab'.repeat(32)}, 'single', 'top_up', ${debit}::uuid, ${credit}::uuid,
      ${amount}::bigint, 'node', '', '{}'::jsonb, ${'cd'.repeat(32)}, now())`.execute(db);
  await sql`insert into ledger_unsealed (transfer_id, currency_id) values (${id}::uuid, ${currency.id}::uuid)`.execute(
    db,
  );
  return id;
}

const queuedOf = async (currencyId: string) =>
  (await db.selectFrom('ledger_unsealed').select('transfer_id').where('currency_id', '=', currencyId).execute()).map(
    (r) => r.transfer_id,
  );
const lastBlockOf = (currencyId: string) =>
  db
    .selectFrom('ledger_blocks')
    .select(['number', 'hash'])
    .where('currency_id', '=', currencyId)
    .orderBy('number', 'desc')
    .executeTakeFirst();

describe('the sealer isolates a currency it cannot seal', () => {
  test('an unreadable amount, a supply past the bound, a constraint error: the others keep sealing and checkpointing, failures logged', async () => {
    const unreadable = await giftCurrency('U');
    const overBound = await giftCurrency('O');
    const duplicate = await giftCurrency('D');
    const legacy = await giftCurrency('L');
    await sealBlocks(db);
    // A database from before migrations 0018/0019: no bound on a transfer's amount yet.
    await sql`alter table ledger_transfers drop constraint ledger_transfers_amount_bound`.execute(db);

    // U: an amount beyond 2^53 (the driver refuses to read it as a number).
    const badAmount = await insertBehindTheBack(
      unreadable.currency,
      unreadable.issuance,
      unreadable.wallet,
      String(2n ** 60n),
    );
    // O: a supply that would pass MAX_SUPPLY_MINOR (100 already issued).
    const badSupply = await insertBehindTheBack(
      overBound.currency,
      overBound.issuance,
      overBound.wallet,
      String(MAX_SUPPLY_MINOR),
    );
    // D: a transfer already sealed put back in the queue: its block row cannot be written twice.
    const sealedOne = (
      await db
        .selectFrom('ledger_block_transfers')
        .select('transfer_id')
        .where('currency_id', '=', duplicate.currency.id)
        .executeTakeFirstOrThrow()
    ).transfer_id;
    await sql`insert into ledger_unsealed (transfer_id, currency_id) values (${sealedOne}::uuid, ${duplicate.currency.id}::uuid)`.execute(
      db,
    );
    // L: a database from before the bound, whose last block already carries a supply beyond 2^53.
    await sql`alter table ledger_blocks drop constraint ledger_blocks_supply_bound`.execute(db);
    await sql`insert into ledger_blocks (currency_id, number, prev_hash, hash, transfers_hash, transfer_count, first_position,
        last_position, first_transfer_id, last_transfer_id, supply, sealed_at)
      select currency_id, number + 1, hash, ${'ef'.repeat(32)}, ${'01'.repeat(32)}, 1, last_position + 1, last_position + 1,
        ${uuidv7()}::uuid, ${uuidv7()}::uuid, ${String(2n ** 60n)}::bigint, now()
      from ledger_blocks where currency_id = ${legacy.currency.id}::uuid order by number desc limit 1`.execute(db);
    await mintAgainstPayment(db, SYSTEM, {
      id: uuidv7(),
      currencyCode: legacy.currency.code,
      accountId: legacy.wallet,
      amount: 5,
    });

    // The euro keeps being used: its transfers must be sealed and checkpointed.
    const p = await w.person();
    await w.fund(p.euro.id, 250);
    const euroBefore = Number((await lastBlockOf(w.euro.id))?.number ?? 0);

    const { logger, lines } = capturedLogger();
    const sealer = startSealer(db, logger, {
      intervalMs: 60_000,
      afterSeal: async () => {
        await signCheckpoints(db, { everyTransfers: 1, everyMs: 0 });
      },
    });
    try {
      await sealer.sealNow();
      assert.deepEqual(await queuedOf(w.euro.id), [], 'the euro was sealed');
      const euroAfter = (await lastBlockOf(w.euro.id))!;
      assert.equal(Number(euroAfter.number), euroBefore + 1);
      const checkpoint = await db
        .selectFrom('ledger_checkpoints')
        .select(['block_number'])
        .where('currency_id', '=', w.euro.id)
        .orderBy('position', 'desc')
        .executeTakeFirst();
      assert.equal(Number(checkpoint?.block_number), Number(euroAfter.number), 'and checkpointed');
      // The failing currencies keep their queue, untouched.
      assert.deepEqual(await queuedOf(unreadable.currency.id), [badAmount]);
      assert.deepEqual(await queuedOf(overBound.currency.id), [badSupply]);
      assert.deepEqual(await queuedOf(duplicate.currency.id), [sealedOne]);
      assert.equal((await queuedOf(legacy.currency.id)).length, 1);
      // Each is logged at error level, naming its currency.
      const errors = lines.filter((l) => l.level === 50);
      for (const c of [unreadable, overBound, duplicate, legacy])
        assert.ok(
          errors.some((l) => l.currency === c.currency.code),
          `${c.currency.code} logged: ${JSON.stringify(errors)}`,
        );
      // A second round: still failing, not logged again within the minute; the euro goes on.
      await w.fund(p.euro.id, 10);
      const logged = errors.length;
      await sealer.sealNow();
      assert.deepEqual(await queuedOf(w.euro.id), []);
      assert.equal(lines.filter((l) => l.level === 50).length, logged, 'not logged again within the minute');
      // D fixed (its stray queue row removed) and used again: sealed, and its recovery logged.
      await sql`delete from ledger_unsealed where transfer_id = ${sealedOne}::uuid`.execute(db);
      await mintAgainstPayment(db, SYSTEM, {
        id: uuidv7(),
        currencyCode: duplicate.currency.code,
        accountId: duplicate.wallet,
        amount: 3,
      });
      await sealer.sealNow();
      assert.deepEqual(await queuedOf(duplicate.currency.id), []);
      assert.ok(lines.some((l) => l.level === 30 && l.currency === duplicate.currency.code));
    } finally {
      await sealer.stop();
    }

    // sealBlocks itself names the failing currencies and their errors.
    const result = await sealBlocks(db);
    assert.deepEqual(
      result.failed.map((f) => f.currencyCode).sort(),
      [unreadable.currency.code, overBound.currency.code, legacy.currency.code].sort(),
    );
    assert.ok(result.failed.every((f) => f.error.length > 0));
  });
});
