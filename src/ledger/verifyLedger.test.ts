import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTransfers } from './createTransfers.ts';
import { listCheckpoints, signCheckpoints } from './signCheckpoints.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';
import { ledgerCommand } from './verifyCommand.ts';

let tdb: TestDatabase;
let db: Db;
let w: LedgerWorld;
before(async () => {
  tdb = await createTestDatabase();
  db = tdb.database.db;
});
after(() => tdb.close());

/** Each test tampers with the ledger, so each starts from a fresh world and undoes its edit after. */
let paymentId: string;
let personAccount: string;
beforeEach(async () => {
  w = await createLedgerWorld(db);
  const p = await w.person();
  await w.fund(p.euro.id, 1000);
  const bar = await w.placeAccount(w.venueB.id, w.euro);
  paymentId = uuidv7();
  personAccount = p.euro.id;
  await createTransfers(db, p.actor, { transfers: [{ id: paymentId, debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 250, kind: 'payment' }] });
  await createTransfers(db, p.actor, { transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 50, kind: 'payment' }] });
});

/** Runs SQL with the append-only trigger disabled, as the database owner could. */
async function asOwner(statement: ReturnType<typeof sql>) {
  await db.transaction().execute(async (trx) => {
    await sql`alter table ledger_transfers disable trigger ledger_transfers_no_update_delete`.execute(trx);
    await statement.execute(trx);
    await sql`alter table ledger_transfers enable trigger ledger_transfers_no_update_delete`.execute(trx);
  });
}

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await ledgerCommand(db, args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('rezo ledger verify', () => {
  test('a sound ledger passes, with signed checkpoints checked', async () => {
    const signed = await signCheckpoints(db, undefined, { force: true });
    assert.ok(signed.some((c) => c.currencyCode === w.euro.code && c.position === 3 && c.supply === 1000));
    assert.deepEqual(await signCheckpoints(db, undefined, { force: true }), [], 'nothing new to sign');
    const r = await run(['verify', '--currency', w.euro.code]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${w.euro.code}: 3 transfers, .* supply 1000, 1 checkpoints verified`));
    assert.equal((await listCheckpoints(db, { currencyCode: w.euro.code })).length, 1);
  });

  test('an amount edited behind the application’s back is found and the transfer named', async () => {
    await asOwner(sql`update ledger_transfers set amount = 25 where id = ${paymentId}`);
    const r = await run(['verify', '--currency', w.euro.code]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /transfer-hash/);
    assert.match(r.stderr, new RegExp(paymentId));
  });

  test('an account swapped on a transfer is found', async () => {
    await asOwner(sql`update ledger_transfers set credit_account_id = ${personAccount}, debit_account_id = credit_account_id where id = ${paymentId}`);
    const result = await verifyLedger(db, { currencyCode: w.euro.code });
    assert.equal(result.problem?.check, 'transfer-hash');
    assert.match(result.problem!.where, new RegExp(paymentId));
  });

  test('transfers reordered (positions swapped) are found', async () => {
    await asOwner(sql`update ledger_transfers set position = 1000 where currency_id = ${w.euro.id} and position = 2`);
    await asOwner(sql`update ledger_transfers set position = 2 where currency_id = ${w.euro.id} and position = 3`);
    await asOwner(sql`update ledger_transfers set position = 3 where currency_id = ${w.euro.id} and position = 1000`);
    const result = await verifyLedger(db, { currencyCode: w.euro.code });
    assert.ok(result.problem && ['chain-link', 'transfer-hash'].includes(result.problem.check), JSON.stringify(result.problem));
  });

  test('a deleted transfer is found (a gap in the chain)', async () => {
    await asOwner(sql`delete from ledger_transfers where id = ${paymentId}`);
    const result = await verifyLedger(db, { currencyCode: w.euro.code });
    assert.equal(result.problem?.check, 'chain-gap');
  });

  test('a balance edited directly is found and the account named', async () => {
    await sql`update ledger_accounts set balance = balance + 100 where id = ${personAccount}`.execute(db);
    const r = await run(['verify', '--currency', w.euro.code]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`balance .* ${personAccount}`));
  });

  test('a forged checkpoint signature or supply is found', async () => {
    await signCheckpoints(db, undefined, { force: true });
    await sql`update ledger_checkpoints set signature = ${'A'.repeat(86)} where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await verifyLedger(db, { currencyCode: w.euro.code })).problem?.check, 'checkpoint-signature');
    await sql`delete from ledger_checkpoints where currency_id = ${w.euro.id}`.execute(db);
    await signCheckpoints(db, undefined, { force: true });
    await sql`update ledger_checkpoints set supply = supply + 1 where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await verifyLedger(db, { currencyCode: w.euro.code })).problem?.check, 'checkpoint-supply');
  });

  test('tokens minted without a payment behind the application’s back break the backing', async () => {
    await sql`delete from ledger_payment_references where currency_id = ${w.euro.id}`.execute(db);
    assert.equal((await verifyLedger(db, { currencyCode: w.euro.code })).problem?.check, 'backing');
  });

  test('bad arguments and an unknown currency', async () => {
    assert.equal((await run(['check'])).code, 2);
    assert.equal((await run(['verify', '--currency'])).code, 2);
    const r = await run(['verify', '--currency', 'NOPE']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such currency/);
  });

  test('on PostgreSQL: `rezo ledger verify` as a process exits 1 and names a tampered transfer', { skip: !onPostgres && 'needs PostgreSQL' }, async () => {
    const cli = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/rezo.js', import.meta.url)), 'ledger', ...args], {
        env: { PATH: process.env.PATH, DATABASE_URL: tdb.url!, REZO_DEMO: '0', LOG_LEVEL: 'warn' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    const good = await cli(['verify', '--currency', w.euro.code]);
    assert.equal(good.code, 0, good.stderr);
    await asOwner(sql`update ledger_transfers set amount = amount + 1 where id = ${paymentId}`);
    const bad = await cli(['verify', '--currency', w.euro.code]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`transfer ${paymentId}`));
  });
});
