import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/testDatabase.ts';
import { SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { addFederationVenue } from '../ledger/addFederationVenue.ts';
import { createTransfers } from '../ledger/createTransfers.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import { createLedgerWorld } from '../ledger/testFixtures.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { createPlace } from '../places/createPlace.ts';
import { uuidv7 } from '../shared/ids.ts';

const skip = !onPostgres && 'needs PostgreSQL (a `rezo settlement run` process on the same database, killed mid-run)';
let tdb: TestDatabase;
const children: ChildProcess[] = [];
before(async () => {
  if (!skip) tdb = await createTestDatabase();
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await tdb?.close();
});

function rezo(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/rezo.js', import.meta.url)), ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: tdb.url!, REZO_DEMO: '0', LOG_LEVEL: 'error', REZO_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve({ code: child.exitCode, signal: child.signalCode })
      : child.once('exit', (code, signal) => resolve({ code, signal })),
  );

test(
  'SIGKILL in the middle of `rezo settlement run`: running it again completes the run, each venue settled exactly once',
  { skip, timeout: 400_000 },
  async () => {
    const db = tdb.database.db;
    const w = await createLedgerWorld(db);
    const federation = await db
      .selectFrom('ledger_federation_places as fp')
      .innerJoin('ledger_federations as f', 'f.id', 'fp.federation_id')
      .select(['f.id', 'f.slug'])
      .where('fp.place_id', '=', w.venueA.id)
      .executeTakeFirstOrThrow();
    const admin = await ensurePerson(db, `crash-admin-${federation.slug}@example.org`, 'fr');
    // Six venues in all (the world's two and four more), each paid from wallets.
    for (let i = 0; i < 4; i++) {
      const place = await createPlace(db, SYSTEM, { slug: `${federation.slug}-x${i}`, name: `Extra ${i}` }, admin.id);
      await addFederationVenue(db, SYSTEM, { federationId: federation.id, placeId: place.id });
    }
    const venues = await db
      .selectFrom('ledger_federation_places as fp')
      .innerJoin('places as p', 'p.id', 'fp.place_id')
      .select(['p.id', 'p.slug'])
      .where('fp.federation_id', '=', federation.id)
      .orderBy('p.slug')
      .execute();
    assert.equal(venues.length, 6);
    const payer = await w.person();
    await w.fund(payer.euro.id, 1_000_000);
    const expected = new Map<string, number>();
    const accounts = new Map<string, string>();
    for (const [i, v] of venues.entries()) {
      const account = await ensureAccount(db, { currencyId: w.euro.id, ownerKind: 'place', ownerRef: v.id });
      accounts.set(v.id, account.id);
      for (let k = 0; k < 5; k++) {
        const amount = 100 * (i + 1) + k;
        await createTransfers(db, payer.actor, {
          transfers: [
            {
              id: uuidv7(),
              debitAccountId: payer.euro.id,
              creditAccountId: account.id,
              amount,
              kind: 'payment',
              metadata: { sale: uuidv7() },
            },
          ],
        });
        expected.set(v.id, (expected.get(v.id) ?? 0) + amount);
      }
    }
    await new Promise((r) => setTimeout(r, 5));
    const until = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));

    // The third venue's account is held by another transaction: the run settles the first two venues,
    // then waits there — and is killed while it waits.
    const third = venues[2]!;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    const holder = db.transaction().execute(async (trx) => {
      await sql`select id from ledger_accounts where id = ${accounts.get(third.id)!} for update`.execute(trx);
      holding();
      await released;
    });
    await held;
    const statementsOf = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from settlement_statements where federation_id = ${federation.id}`.execute(db)
        ).rows[0]!.n,
      );
    const first = rezo(['settlement', 'run', '--federation', federation.slug, '--until', until]);
    let stderr = '';
    first.stderr!.on('data', (d) => (stderr += String(d)));
    for (let i = 0; (await statementsOf()) < 2; i++) {
      assert.ok(i < 3000 && first.exitCode === null, `the run did not get to the third venue: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await statementsOf(), 2, 'the run waits at the third venue');
    first.kill('SIGKILL');
    assert.equal((await exited(first)).signal, 'SIGKILL');
    release();
    await holder;
    const interrupted = await db
      .selectFrom('settlement_runs')
      .select(['id', 'status'])
      .where('federation_id', '=', federation.id)
      .execute();
    assert.deepEqual(
      interrupted.map((r) => r.status),
      ['running'],
    );

    const second = rezo(['settlement', 'run', '--federation', federation.slug, '--until', until]);
    let out = '';
    second.stdout!.on('data', (d) => (out += String(d)));
    second.stderr!.on('data', (d) => (out += String(d)));
    assert.equal((await exited(second)).code, 0, out);
    assert.match(out, /resumed/);

    const runs = await db
      .selectFrom('settlement_runs')
      .select(['id', 'status'])
      .where('federation_id', '=', federation.id)
      .execute();
    assert.deepEqual(
      runs.map((r) => [r.id, r.status]),
      [[interrupted[0]!.id, 'complete']],
    );
    const statements = await db
      .selectFrom('settlement_statements')
      .select(['place_id', 'tokens_cents', 'number'])
      .where('run_id', '=', runs[0]!.id)
      .orderBy('number')
      .execute();
    assert.deepEqual(
      statements.map((s) => [s.place_id, s.tokens_cents]),
      venues.map((v) => [v.id, expected.get(v.id)]),
      'one statement per venue, in slug order, each with all its sales',
    );
    for (const v of venues) {
      const row = await db
        .selectFrom('ledger_accounts')
        .select('balance')
        .where('id', '=', accounts.get(v.id)!)
        .executeTakeFirstOrThrow();
      assert.equal(row.balance, 0);
    }
    const claimed = await sql<{
      n: string;
      d: string;
    }>`select count(*) as n, count(distinct transfer_id) as d from ledger_settled_items i
      join settlement_statements s on s.id = i.statement_id where s.federation_id = ${federation.id}`.execute(db);
    assert.deepEqual([Number(claimed.rows[0]!.n), Number(claimed.rows[0]!.d)], [30, 30]);
    const result = await verifyLedger(db);
    assert.equal(result.problem, null, JSON.stringify(result.problem));
  },
);
