import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/testDatabase.ts';
import { SYSTEM, type PersonActor } from '../access/actor.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createLedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';
import { issueWalletPass } from './walletPass.ts';

const skip = !onPostgres && 'needs PostgreSQL (a second process on the same database)';
let tdb: TestDatabase;
const children: ChildProcess[] = [];
before(async () => {
  if (!skip) tdb = await createTestDatabase();
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await tdb?.close();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/rezo.js', import.meta.url)), 'serve'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: tdb.url!,
      HOST: '127.0.0.1',
      PORT: String(port),
      REZO_DEMO: '0',
      LOG_LEVEL: 'error',
      REZO_ENV: 'production',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  // Up to 90 s: on a loaded machine, starting `rezo serve` (tsx compiling the app) takes 20 s or more.
  for (let i = 0; i < 900; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}

describe('crash safety', () => {
  test(
    'SIGKILL during a burst of transfers: after restart verify passes and every acknowledged transfer is there',
    { skip, timeout: 400_000 },
    async () => {
      const db = tdb.database.db;
      const w = await createLedgerWorld(db);
      const { secret } = await createApiKey(db, SYSTEM, { slug: w.venueB.slug, name: 'till', scopes: ['till'] });
      const bar = await w.placeAccount(w.venueB.id, w.euro);
      const wallets: { account: string; actor: PersonActor }[] = [];
      for (let i = 0; i < 20; i++) {
        const p = await w.person();
        await w.fund(p.euro.id, 100_000);
        wallets.push({ account: p.euro.id, actor: p.actor });
      }
      // A wallet pass pays once: one per payment, for the bar, for its amount.
      const passFor = async (actor: PersonActor, amount: number) =>
        (await issueWalletPass(db, actor, { placeId: w.venueB.id, maxAmount: amount })).pass;
      const port = await freePort();
      const server = await startServer(port);

      const acknowledged: string[] = [];
      let stop = false;
      const worker = async (n: number) => {
        for (let i = 0; !stop; i++) {
          const wallet = wallets[(n + i) % wallets.length]!;
          const id = uuidv7();
          try {
            const r = await fetch(`http://127.0.0.1:${port}/api/v1/transfers`, {
              method: 'POST',
              headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                transfers: [
                  { id, debitAccountId: wallet.account, creditAccountId: bar.id, amount: 1 + (i % 7), kind: 'payment' },
                ],
                holder: await passFor(wallet.actor, 1 + (i % 7)),
              }),
            });
            if (r.status === 201) acknowledged.push(id);
            else if (r.status !== 503) throw new Error(`unexpected ${r.status}: ${await r.text()}`);
          } catch (error) {
            if (!stop && !(error instanceof TypeError)) throw error;
            return; // the connection died with the server
          }
        }
      };
      const workers = Array.from({ length: 8 }, (_, n) => worker(n));
      while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 10));
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await exited;
      assert.ok(acknowledged.length >= 150);

      const restarted = await startServer(port);
      const result = await verifyLedger(db);
      assert.equal(result.problem, null, JSON.stringify(result.problem));
      const stored = new Set(
        (await db.selectFrom('ledger_transfers').select('id').where('id', 'in', acknowledged).execute()).map(
          (r) => r.id,
        ),
      );
      assert.deepEqual(
        acknowledged.filter((id) => !stored.has(id)),
        [],
        'every acknowledged transfer is stored',
      );
      // The restarted node takes payments again.
      const after = await fetch(`http://127.0.0.1:${port}/api/v1/transfers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          transfers: [
            { id: uuidv7(), debitAccountId: wallets[0]!.account, creditAccountId: bar.id, amount: 1, kind: 'payment' },
          ],
          holder: await passFor(wallets[0]!.actor, 1),
        }),
      });
      assert.equal(after.status, 201);
      const stopped = new Promise((r) => restarted.once('exit', r));
      restarted.kill('SIGTERM');
      await stopped;
      // Transfers committed before the crash and not sealed then were sealed by the restarted node:
      // the queue is empty after its stop, and every acknowledged transfer is in exactly one block.
      assert.deepEqual(await db.selectFrom('ledger_unsealed').select('transfer_id').execute(), []);
      const sealed = await db
        .selectFrom('ledger_block_transfers')
        .select('transfer_id')
        .where('transfer_id', 'in', acknowledged)
        .execute();
      assert.equal(sealed.length, acknowledged.length);
      const final = await verifyLedger(db);
      assert.equal(final.problem, null, JSON.stringify(final.problem));
    },
  );
});
