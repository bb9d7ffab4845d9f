import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testConfig } from '../config.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { loadDemo } from '../demo/loadDemo.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { listRunStatements } from './statements.ts';
import { verifyStatement } from './verifyStatement.ts';

let db: Db;
useTestDatabase((opened) => ({ db } = opened));

test('the demo shows one past settlement run: a statement per venue, one paid, one to receive; sales since wait for the next', async () => {
  assert.equal(await loadDemo(db, testConfig()), true);
  const runs = await db.selectFrom('settlement_runs').selectAll().execute();
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.status, 'complete');
  const statements = await listRunStatements(db, SYSTEM, runs[0]!.id);
  assert.equal(statements.length, 4);
  const states = statements.map((s) => s.state).sort();
  assert.ok(states.includes('paid'), states.join(','));
  assert.ok(
    states.includes('to_pay') || states.includes('to_receive') || states.includes('received'),
    states.join(','),
  );
  assert.ok(
    statements.some((s) => s.lines.some((l) => l.line === 'cash_top_ups')),
    'cash collected at counters',
  );
  for (const s of statements) assert.deepEqual(await verifyStatement(db, s), { ok: true, problems: [] });
  const treasurer = await db.selectFrom('settlement_treasurers').select('person_id').execute();
  assert.equal(treasurer.length, 1);
  const notSettled = await db
    .selectFrom('ledger_accounts')
    .select('balance')
    .where('owner_kind', '=', 'place')
    .where('balance', '>', 0)
    .execute();
  assert.ok(notSettled.length > 0, 'payments after the run are waiting for the next one');
  const result = await verifyLedger(db);
  assert.equal(result.problem, null, JSON.stringify(result.problem));
  assert.equal(result.reserves.length, 1);
});
