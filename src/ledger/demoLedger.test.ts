import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { testConfig } from '../config.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { loadDemo } from '../demo/loadDemo.ts';
import { verifyLedger } from './verifyLedger.ts';

let db: Db;
useTestDatabase((opened) => ({ db } = opened));

test('the demo ledger: a federation token, a currency per venue, ≥ 50 wallets, ≥ 200 transfers, signed checkpoints, and it verifies', async () => {
  assert.equal(await loadDemo(db, testConfig()), true);
  const currencies = await db.selectFrom('ledger_currencies').select(['code', 'kind']).execute();
  assert.ok(currencies.some((c) => c.kind === 'federated_euro'));
  assert.ok(currencies.some((c) => c.kind === 'time'));
  assert.ok(currencies.length >= 5);
  const wallets = Number(
    (
      await sql<{
        n: string;
      }>`select count(distinct owner_ref) as n from ledger_accounts where owner_kind = 'person'`.execute(db)
    ).rows[0]!.n,
  );
  assert.ok(wallets >= 50, `${wallets} wallets`);
  const kinds = await sql<{
    kind: string;
    n: string;
  }>`select kind, count(*) as n from ledger_transfers group by kind`.execute(db);
  const byKind = new Map(kinds.rows.map((r) => [r.kind, Number(r.n)]));
  assert.ok([...byKind.values()].reduce((a, b) => a + b, 0) >= 200);
  assert.ok(byKind.get('top_up')! > 0 && byKind.get('payment')! > 0 && byKind.get('refund')! > 0);
  const checkpoints = await db.selectFrom('ledger_checkpoints').select('position').execute();
  assert.ok(checkpoints.length >= currencies.length);
  const result = await verifyLedger(db);
  assert.equal(result.problem, null, JSON.stringify(result.problem));
});
