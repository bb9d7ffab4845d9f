/**
 * `npm run bench:ledger`: the ledger's throughput and latency against a baseline measured in the
 * same run, on the PostgreSQL server of DATABASE_URL (in a scratch database created and dropped here).
 *
 *   (a) baseline: raw SQL, per transaction two balance UPDATEs under a floor CHECK and one INSERT
 *       with a unique id, 10,000 wallets paying 20 venues, by CONCURRENCY clients;
 *   (b) Rezo: the same payments through the HTTP API of a `rezo serve` process, device-signed,
 *       with the holder's wallet pass, idempotency, locks, own hash and unsealed-queue row (the
 *       node's sealer chains them into blocks meanwhile) — same clients, same accounts;
 *   (c) Rezo paced at RATE transfers/s, for the latency target (p99 < 20 ms at 500/s);
 *   (d) the floor: GET /healthz (one HTTP request, one `select 1`) at the same concurrency, and the
 *       cost of one Ed25519 verification here (a transfer needs two).
 *
 * Ends with `transfers_per_s=<b> baseline_per_s=<a> ratio=<b/a>`.
 * Settings: BENCH_TRANSFERS (per phase, default 5000), BENCH_CONCURRENCY (16), BENCH_RATE (500), BENCH_VENUES (20).
 * (10,000 wallets pay BENCH_VENUES venues, one till each.)
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { Pool } from 'undici';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { SYSTEM, personActor } from '../src/access/actor.ts';
import { createPlace } from '../src/places/createPlace.ts';
import { ensurePerson } from '../src/accounts/people.ts';
import { uuidv7 } from '../src/shared/ids.ts';
import { createCurrency } from '../src/ledger/createCurrency.ts';
import { createFederation } from '../src/ledger/createFederation.ts';
import { createTransfers } from '../src/ledger/createTransfers.ts';
import { ensureAccount } from '../src/ledger/ensureAccount.ts';
import { registerDevice } from '../src/ledger/registerDevice.ts';
import { signDeviceRequest } from '../src/ledger/deviceSignature.ts';
import { issueWalletPass } from '../src/ledger/walletPass.ts';
import { issueTillSession, tillSessionKey } from '../src/till/tillSession.ts';
import { makeStaffCard } from '../src/cards/testFixtures.ts';
import { verifyLedger } from '../src/ledger/verifyLedger.ts';
import {
  admin,
  cpuPerUnit,
  cpuSecondsOf,
  cpuSnapshot,
  healthzFloor,
  printPhase,
  databaseOn,
  fundTreasury,
  startRezo,
  log,
  requireServerUrl,
} from './common.ts';

const WALLETS = 10_000;
const VENUES = Number(process.env.BENCH_VENUES) || 20;
const TRANSFERS = Number(process.env.BENCH_TRANSFERS) || 5000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY) || 16;
const RATE = Number(process.env.BENCH_RATE) || 500;
const WALLET_CENTS = 1_000_000;

const serverUrl = requireServerUrl('bench:ledger');

const summary = (name: string, latencies: number[], ms: number) => printPhase(name, 'transfers', latencies, ms, 34);

/** Runs `count` jobs with `concurrency` workers (or paced at `rate` per second); returns latencies and wall time. */
async function drive(count: number, concurrency: number, job: (i: number) => Promise<void>, rate?: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      if (rate) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      await job(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: rate ? Math.max(concurrency, 64) : concurrency }, worker));
  return { latencies, ms: performance.now() - started };
}

/** Microseconds one Ed25519 verification takes in this process (node:crypto, 2,000 verifications). */
function ed25519VerifyMicros(): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = Buffer.from('POST /api/v1/transfers 1700000000 nonce sha256-of-the-body');
  const signature = cryptoSign(null, message, privateKey);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++)
    if (!cryptoVerify(null, message, publicKey, signature)) throw new Error('verify failed');
  return ((performance.now() - t0) * 1000) / 2000;
}

const name = `rezo_bench_${Date.now().toString(36)}`;
const url = new URL(databaseOn(serverUrl, name));
await admin(serverUrl, `create database ${name}`);
const database = await openDatabase({ url: url.toString(), poolSize: CONCURRENCY + 4 });
let server: ChildProcess | null = null;
let closed = false;
try {
  await migrate(database);
  const db = database.db;
  log(`setup: ${VENUES} venues, ${WALLETS} wallets of ${WALLET_CENTS / 100} € (scratch database ${name})`);
  const owner = await ensurePerson(db, 'bench@example.org', 'en');
  const venues: { id: string; account: string; device: { id: string; key: KeyObject }; session: string }[] = [];
  const placeIds: string[] = [];
  for (let v = 0; v < VENUES; v++)
    placeIds.push((await createPlace(db, SYSTEM, { slug: `bench-${v}`, name: `Bench ${v}` }, owner.id)).id);
  const federation = await createFederation(db, SYSTEM, { slug: 'bench', name: 'Bench', placeIds });
  const euro = await createCurrency(db, SYSTEM, {
    code: 'BENCH',
    name: 'Bench €',
    kind: 'federated_euro',
    decimals: 2,
    federationId: federation.id,
  });
  for (const placeId of placeIds) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const device = await registerDevice(db, SYSTEM, {
      placeId,
      name: 'till',
      kind: 'till',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    const account = await ensureAccount(db, { currencyId: euro.id, ownerKind: 'place', ownerRef: placeId });
    // A till moves money only with a staff session open on it: the venues' admin's, as its staff card would open.
    const { token: session } = issueTillSession(await tillSessionKey(db), {
      placeId,
      deviceId: device.id,
      cashierPersonId: owner.id,
      cardId: (await makeStaffCard(db, owner.id)).id,
    });
    venues.push({ id: placeId, account: account.id, device: { id: device.id, key: privateKey }, session });
  }
  // Wallet accounts in bulk (an empty account moves no money), funded through the ledger: one
  // backed mint onto a clearing person, then linked batches of 19 transfers out of it.
  const owners = Array.from({ length: WALLETS }, () => uuidv7());
  for (let i = 0; i < WALLETS; i += 1000) {
    await db
      .insertInto('ledger_accounts')
      .values(
        owners
          .slice(i, i + 1000)
          .map((o) => ({ id: uuidv7(), currency_id: euro.id, owner_kind: 'person' as const, owner_ref: o, floor: 0 })),
      )
      .execute();
  }
  const accounts = new Map(
    (
      await db
        .selectFrom('ledger_accounts')
        .select(['id', 'owner_ref'])
        .where('currency_id', '=', euro.id)
        .where('owner_kind', '=', 'person')
        .execute()
    ).map((a) => [a.owner_ref, a.id]),
  );
  const wallets = owners.map((o) => ({ owner: o, account: accounts.get(o)! }));
  const treasurer = uuidv7();
  const treasury = await ensureAccount(db, { currencyId: euro.id, ownerKind: 'person', ownerRef: treasurer });
  await fundTreasury(db, euro.code, treasury.id, WALLETS * WALLET_CENTS, 'bench-funding');
  for (let i = 0; i < WALLETS; i += 19) {
    await createTransfers(db, personActor(treasurer), {
      transfers: wallets.slice(i, i + 19).map((w) => ({
        id: uuidv7(),
        debitAccountId: treasury.id,
        creditAccountId: w.account,
        amount: WALLET_CENTS,
        kind: 'transfer',
      })),
    });
  }

  // (a) Baseline: the same accounts copied to plain tables, the same shape of transaction.
  await sql`create table bench_accounts (id uuid primary key, balance bigint not null check (balance >= 0))`.execute(
    db,
  );
  await sql`insert into bench_accounts select id, balance from ledger_accounts where currency_id = ${euro.id} and owner_kind <> 'system'`.execute(
    db,
  );
  await sql`create table bench_transfers (id uuid primary key, debit uuid not null, credit uuid not null, amount bigint not null, created_at timestamptz not null default now())`.execute(
    db,
  );
  const pool = new pg.Pool({ connectionString: url.toString(), max: CONCURRENCY });
  const pick = (i: number) => ({
    wallet: wallets[(i * 7919) % WALLETS]!,
    venue: venues[i % VENUES]!,
    amount: 100 + (i % 400),
  });
  await drive(200, CONCURRENCY, async () => {}); // warm the event loop
  const base0 = cpuSnapshot();
  const baseline = await drive(TRANSFERS, CONCURRENCY, async (i) => {
    const { wallet, venue, amount } = pick(i);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('update bench_accounts set balance = balance - $1 where id = $2', [amount, wallet.account]);
      await client.query('update bench_accounts set balance = balance + $1 where id = $2', [amount, venue.account]);
      await client.query('insert into bench_transfers (id, debit, credit, amount) values ($1, $2, $3, $4)', [
        uuidv7(),
        wallet.account,
        venue.account,
        amount,
      ]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
  const base1 = cpuSnapshot();
  await pool.end();
  const baselinePerS = summary('(a) baseline raw SQL', baseline.latencies, baseline.ms);
  log(`    ${cpuPerUnit(base0, base1, 0, TRANSFERS, 'transfer')}`);

  // (b) and (c) Rezo over HTTP, device-signed, with the holder's wallet pass, on a node in its own
  // process (`rezo serve`), as in production: the load generator does not share its event loop.
  const started = await startRezo(url.toString(), { poolSize: CONCURRENCY + 4, profileDir: process.env.BENCH_PROFILE });
  server = started.server;
  const address = started.address;
  const http = new Pool(address, { connections: Math.max(CONCURRENCY, 64), pipelining: 1 });
  // A pass pays once, for one venue and at most its amount: one per payment, as the customer's phone
  // would show, issued by the load generator (a signature in its process, not the node's work).
  const passOf = async (owner: string, placeId: string, amount: number) =>
    (await issueWalletPass(db, personActor(owner), { placeId, maxAmount: amount })).pass;
  const pay = async (i: number) => {
    const { wallet, venue, amount } = pick(i);
    const body = JSON.stringify({
      transfers: [
        { id: uuidv7(), debitAccountId: wallet.account, creditAccountId: venue.account, amount, kind: 'payment' },
      ],
      holder: await passOf(wallet.owner, venue.id, amount),
      session: venue.session,
    });
    const headers = signDeviceRequest(venue.device.key, {
      placeId: venue.id,
      deviceId: venue.device.id,
      method: 'POST',
      path: '/api/v1/transfers',
      body,
    });
    const r = await http.request({
      method: 'POST',
      path: '/api/v1/transfers',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    const text = await r.body.text();
    if (r.statusCode !== 201) throw new Error(`transfer refused: ${r.statusCode} ${text}`);
  };
  await drive(200, CONCURRENCY, (i) => pay(TRANSFERS * 2 + i));
  // How long transfers wait to be sealed: the age of the oldest queue row, sampled every 100 ms.
  let sampling = true;
  let maxUnsealedMs = 0;
  let maxQueue = 0;
  const sampler = (async () => {
    while (sampling && !closed) {
      const r = await sql<{
        age_ms: number | null;
        n: number;
      }>`select (extract(epoch from now() - min(created_at)) * 1000)::float8 as age_ms, count(*)::int as n from ledger_unsealed`.execute(
        db,
      );
      maxUnsealedMs = Math.max(maxUnsealedMs, r.rows[0]?.age_ms ?? 0);
      maxQueue = Math.max(maxQueue, r.rows[0]?.n ?? 0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const cpu0 = cpuSecondsOf(server.pid);
  const machine0 = cpuSnapshot();
  const rezo = await drive(TRANSFERS, CONCURRENCY, pay).catch(async (error: unknown) => {
    sampling = false;
    await sampler;
    throw error;
  });
  const rezoPerS = summary('(b) Rezo HTTP, signed, sealed in blocks', rezo.latencies, rezo.ms);
  const cpu1 = cpuSecondsOf(server.pid);
  const machine1 = cpuSnapshot();
  log(
    `    ${cpuPerUnit(machine0, machine1, cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null, TRANSFERS, 'transfer')}`,
  );
  if (cpu0 !== null && cpu1 !== null)
    log(
      `    rezo serve CPU during (b): ${(((cpu1 - cpu0) * 1000) / TRANSFERS).toFixed(2)} ms per transfer (${((((cpu1 - cpu0) * 1000) / rezo.ms) * 100).toFixed(0)} % of one core)`,
    );
  const paced = await drive(TRANSFERS, CONCURRENCY, (i) => pay(TRANSFERS + i), RATE);
  summary(`(c) Rezo HTTP paced at ${RATE}/s`, paced.latencies, paced.ms);
  // (d) The floor under any transfer: the same clients asking the same node for GET /healthz (one HTTP
  // request, one `select 1` round trip, no signature), and what the two Ed25519 checks of a transfer
  // (device signature, wallet pass) cost here — the most Rezo could do on this machine.
  const floorRun = await healthzFloor(http, TRANSFERS, CONCURRENCY);
  const floorPerS = summary('(d) floor: GET /healthz', floorRun.latencies, floorRun.ms);
  log(
    `    Ed25519 verification here: ${ed25519VerifyMicros().toFixed(0)} µs each, two per transfer; floor ratio ${(floorPerS / baselinePerS).toFixed(2)}`,
  );
  await http.close();
  sampling = false;
  await sampler;
  const blocks = await sql<{
    n: number;
    max_count: number;
    avg_count: number;
  }>`select count(*)::int as n, max(transfer_count)::int as max_count, avg(transfer_count)::float8 as avg_count from ledger_blocks`.execute(
    db,
  );
  log(
    `sealing during (b)+(c): ${blocks.rows[0]!.n} blocks (up to ${blocks.rows[0]!.max_count} transfers, ${blocks.rows[0]!.avg_count.toFixed(0)} on average); oldest unsealed transfer seen ${maxUnsealedMs.toFixed(0)} ms, queue up to ${maxQueue}`,
  );

  const check = await verifyLedger(db);
  log(
    `verify: ${check.ok ? 'OK' : `FAILED ${JSON.stringify(check.problem)}`} (${check.currencies.map((c) => `${c.code} ${c.transfers} transfers, ${c.blocks} blocks, ${c.unsealed} unsealed`).join(', ')})`,
  );
  log(
    `transfers_per_s=${rezoPerS.toFixed(0)} baseline_per_s=${baselinePerS.toFixed(0)} ratio=${(rezoPerS / baselinePerS).toFixed(2)}`,
  );
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  closed = true;
  await database.close();
  await admin(serverUrl, `drop database if exists ${name} with (force)`);
}
