/**
 * `npm run bench:till`: tills selling to cards through the device-signed HTTP API of a `rezo serve`
 * process, on the PostgreSQL server of DATABASE_URL (a scratch database created and dropped here),
 * against a baseline measured in the same run.
 *
 *   (a) baseline: raw SQL, per transaction the shape of a card sale without its rules — lock the card
 *       row, two balance UPDATEs under a floor CHECK, one transfer INSERT, one sale INSERT, one journal
 *       INSERT — by BASELINE_CONCURRENCY clients at full speed over the same cards and venues;
 *   (b) Rezo: BENCH_TILLS paired tills (BENCH_VENUES venues, the tills spread evenly, each with its
 *       own device key and till session), each a loop selling one beer at a time, paid by a random card
 *       of BENCH_CARDS anonymous funded cards, with POST /api/v1/till/sales, the whole paced at
 *       BENCH_RATE sales/s for BENCH_SECONDS (open schedule: sale k is due at k/RATE s). Every 10th
 *       sale is sent again with the same id right after its answer, every 20th (offset 5) twice at
 *       once: a retry must answer 200 with the same body. Bounded: at most 2×TILLS requests in flight,
 *       10 s per request, nothing started after BENCH_SECONDS + 30 s.
 *
 * At the end the database is checked: `lost` = acknowledged (201/200) sale ids without their
 * till_sales row or payment transfer; `duplicated` = till_sales rows or payment transfers beyond one
 * per sale id; rows of sales never acknowledged are reported apart (allowed only if timed out).
 * Then verifyLedger and verifyJournal. p99_ms is the client latency (HTTP included) of the sales
 * (first sends); the server time is the route's own measurement (Server-Timing `sale;dur=`).
 * Ends with `sales_per_s=<x> p99_ms=<y> lost=<n> duplicated=<n> baseline_per_s=<a> ratio=<x/a>`.
 * Settings: BENCH_TILLS (20), BENCH_VENUES (5), BENCH_CARDS (5000), BENCH_RATE (100),
 * BENCH_SECONDS (30), BENCH_BASELINE_SALES (3000), BENCH_CONCURRENCY (16, the baseline's clients).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
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
import { verifyLedger } from '../src/ledger/verifyLedger.ts';
import { verifyJournal } from '../src/till/verifyJournal.ts';
import {
  admin,
  cpuSecondsOf,
  printPhase,
  databaseOn,
  fundTreasury,
  startRezo,
  log,
  percentile,
  requireServerUrl,
} from './common.ts';

const TILLS = Number(process.env.BENCH_TILLS) || 20;
const VENUES = Math.min(TILLS, Number(process.env.BENCH_VENUES) || 5);
const CARDS = Number(process.env.BENCH_CARDS) || 5000;
const RATE = Number(process.env.BENCH_RATE) || 100;
const SECONDS = Number(process.env.BENCH_SECONDS) || 30;
const SALES = Number(process.env.BENCH_BASELINE_SALES) || 3000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY) || 16;
const MAX_IN_FLIGHT = 2 * TILLS;
const REQUEST_TIMEOUT_MS = 10_000;
const CARD_CENTS = 1_000_000;
const PRICE = 350;

const serverUrl = requireServerUrl('bench:till');

const summary = (name: string, latencies: number[], ms: number) => printPhase(name, 'sales', latencies, ms, 40);

async function drive(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t0 = performance.now();
      await job(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, ms: performance.now() - started };
}

const name = `rezo_bench_till_${Date.now().toString(36)}`;
const url = new URL(databaseOn(serverUrl, name));
await admin(serverUrl, `create database ${name}`);
const database = await openDatabase({ url: url.toString(), poolSize: Math.max(CONCURRENCY, TILLS) + 4 });
let server: ChildProcess | null = null;
try {
  await migrate(database);
  const db = database.db;
  log(
    `setup: ${VENUES} venues, ${TILLS} tills (paired devices, ${Math.ceil(TILLS / VENUES)} a venue at most), ${CARDS} anonymous cards of ${CARD_CENTS / 100} € (scratch database ${name})`,
  );
  const owner = await ensurePerson(db, 'bench@example.org', 'en');
  const cashier = await ensurePerson(db, 'cashier@example.org', 'en');
  const placeIds: string[] = [];
  for (let v = 0; v < VENUES; v++)
    placeIds.push((await createPlace(db, SYSTEM, { slug: `till-${v}`, name: `Till ${v}` }, owner.id)).id);
  const federation = await createFederation(db, SYSTEM, { slug: 'bench', name: 'Bench', placeIds });
  const euro = await createCurrency(db, SYSTEM, {
    code: 'BENCH',
    name: 'Bench €',
    kind: 'federated_euro',
    decimals: 2,
    federationId: federation.id,
  });

  // Cards: one batch, anonymous; the cashier's staff card.
  const batchId = uuidv7();
  await db
    .insertInto('card_batches')
    .values({ id: batchId, name: 'bench', card_count: CARDS + 1 })
    .execute();
  const uidOf = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 14).toUpperCase();
  const cardIds = Array.from({ length: CARDS }, () => uuidv7());
  for (let i = 0; i < CARDS; i += 1000) {
    await db
      .insertInto('cards')
      .values(
        cardIds.slice(i, i + 1000).map((id) => ({
          id,
          batch_id: batchId,
          uid: uidOf(id),
          number: `B${uidOf(id)}`,
          qr_token_sha256: createHash('sha256').update(`qr${id}`).digest('hex'),
        })),
      )
      .execute();
    await db
      .insertInto('ledger_accounts')
      .values(
        cardIds
          .slice(i, i + 1000)
          .map((id) => ({ id: uuidv7(), currency_id: euro.id, owner_kind: 'card' as const, owner_ref: id, floor: 0 })),
      )
      .execute();
  }
  const staffCardId = uuidv7();
  await db
    .insertInto('cards')
    .values({
      id: staffCardId,
      batch_id: batchId,
      uid: uidOf(staffCardId),
      number: 'STAFF',
      qr_token_sha256: createHash('sha256').update(`qr${staffCardId}`).digest('hex'),
      person_id: cashier.id,
      linked_at: new Date(),
    })
    .execute();
  const accounts = new Map(
    (
      await db
        .selectFrom('ledger_accounts')
        .select(['id', 'owner_ref'])
        .where('currency_id', '=', euro.id)
        .where('owner_kind', '=', 'card')
        .execute()
    ).map((a) => [a.owner_ref, a.id]),
  );
  const cards = cardIds.map((id) => ({ id, uid: uidOf(id), account: accounts.get(id)! }));
  // Funded through the ledger: one backed mint onto a treasurer, then batches of transfers to the cards.
  const treasurer = uuidv7();
  const treasury = await ensureAccount(db, { currencyId: euro.id, ownerKind: 'person', ownerRef: treasurer });
  await fundTreasury(db, euro.code, treasury.id, CARDS * CARD_CENTS, 'bench-funding');
  for (let i = 0; i < CARDS; i += 19) {
    await createTransfers(db, personActor(treasurer), {
      transfers: cards.slice(i, i + 19).map((c) => ({
        id: uuidv7(),
        debitAccountId: treasury.id,
        creditAccountId: c.account,
        amount: CARD_CENTS,
        kind: 'transfer',
      })),
    });
  }

  // Venues: the cashier, a bar selling a beer; tills (paired devices) spread over the venues.
  const venues: { id: string; account: string; pointId: string; articleId: string }[] = [];
  for (const placeId of placeIds) {
    const account = await ensureAccount(db, { currencyId: euro.id, ownerKind: 'place', ownerRef: placeId });
    await db
      .insertInto('place_members')
      .values({ place_id: placeId, person_id: cashier.id, role: 'cashier' })
      .execute();
    const pointId = uuidv7();
    const articleId = uuidv7();
    await db.insertInto('pos_points').values({ place_id: placeId, id: pointId, name: 'Bar' }).execute();
    await db
      .insertInto('pos_articles')
      .values({ place_id: placeId, id: articleId, name: 'Beer', kind: 'sale', price_cents: PRICE, vat_rate: 2000 })
      .execute();
    await db
      .insertInto('pos_point_articles')
      .values({ place_id: placeId, point_id: pointId, article_id: articleId })
      .execute();
    venues.push({ id: placeId, account: account.id, pointId, articleId });
  }
  const tills: { venue: (typeof venues)[number]; device: { id: string; key: KeyObject }; session: string }[] = [];
  for (let t = 0; t < TILLS; t++) {
    const venue = venues[t % VENUES]!;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const device = await registerDevice(db, SYSTEM, {
      placeId: venue.id,
      name: `till ${t}`,
      kind: 'till',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    tills.push({ venue, device: { id: device.id, key: privateKey }, session: '' });
  }

  // (a) Baseline: the same cards copied to plain tables, the same shape of transaction.
  await sql`create table bench_cards (id uuid primary key, uid text unique not null)`.execute(db);
  await sql`insert into bench_cards select id, uid from cards`.execute(db);
  await sql`create table bench_accounts (id uuid primary key, balance bigint not null check (balance >= 0))`.execute(
    db,
  );
  await sql`insert into bench_accounts select id, balance from ledger_accounts where currency_id = ${euro.id} and owner_kind <> 'system'`.execute(
    db,
  );
  await sql`create table bench_transfers (id uuid primary key, debit uuid not null, credit uuid not null, amount bigint not null, created_at timestamptz not null default now())`.execute(
    db,
  );
  await sql`create table bench_sales (id uuid primary key, place_id uuid not null, card_id uuid not null, total bigint not null, result jsonb not null, created_at timestamptz not null default now())`.execute(
    db,
  );
  await sql`create table bench_journal (place_id uuid not null, id uuid not null, sale_id uuid not null, amount bigint not null, primary key (place_id, id))`.execute(
    db,
  );
  const pool = new pg.Pool({ connectionString: url.toString(), max: CONCURRENCY });
  const pick = (i: number) => ({ card: cards[(i * 7919) % CARDS]!, venue: venues[i % VENUES]! });
  const baseline = await drive(SALES, CONCURRENCY, async (i) => {
    const { card, venue } = pick(i);
    const client = await pool.connect();
    try {
      const saleId = uuidv7();
      await client.query('begin');
      await client.query('select id from bench_cards where uid = $1 for update', [card.uid]);
      await client.query('update bench_accounts set balance = balance - $1 where id = $2', [PRICE, card.account]);
      await client.query('update bench_accounts set balance = balance + $1 where id = $2', [PRICE, venue.account]);
      await client.query('insert into bench_transfers (id, debit, credit, amount) values ($1, $2, $3, $4)', [
        uuidv7(),
        card.account,
        venue.account,
        PRICE,
      ]);
      await client.query('insert into bench_sales (id, place_id, card_id, total, result) values ($1, $2, $3, $4, $5)', [
        saleId,
        venue.id,
        card.id,
        PRICE,
        JSON.stringify({ id: saleId }),
      ]);
      await client.query('insert into bench_journal (place_id, id, sale_id, amount) values ($1, $2, $3, $4)', [
        venue.id,
        uuidv7(),
        saleId,
        PRICE,
      ]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
  await pool.end();
  const baselinePerS = summary('(a) baseline raw SQL', baseline.latencies, baseline.ms);

  // (b) Rezo over HTTP, on a node in its own process, as in production: TILLS tills, paced, bounded.
  const started = await startRezo(url.toString(), { poolSize: TILLS + 4 });
  server = started.server;
  const http = new Pool(started.address, {
    connections: MAX_IN_FLIGHT,
    pipelining: 1,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  let inFlight = 0;
  let maxInFlight = 0;
  const waiting: (() => void)[] = [];
  const signed = async (till: (typeof tills)[number], path: string, payload: unknown) => {
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => waiting.push(r));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const body = JSON.stringify(payload);
      const headers = signDeviceRequest(till.device.key, {
        placeId: till.venue.id,
        deviceId: till.device.id,
        method: 'POST',
        path,
        body,
      });
      const r = await http.request({
        method: 'POST',
        path,
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
      return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
    } finally {
      inFlight--;
      waiting.shift()?.();
    }
  };
  for (const till of tills) {
    const opened = await signed(till, '/api/v1/till/open', { cardUid: uidOf(staffCardId) });
    if (opened.status !== 201) throw new Error(`open refused: ${opened.status} ${opened.text}`);
    till.session = (JSON.parse(opened.text) as { session: string }).session;
  }

  const acknowledged = new Set<string>();
  const timedOut = new Set<string>();
  const refused = new Map<string, number>();
  const latencies: number[] = [];
  const retryLatencies: number[] = [];
  const serverTimes: number[] = [];
  let retries = 0;
  let retryMismatches = 0;
  let late = 0;
  type Answer =
    | { ok: true; status: number; body: unknown; ms: number }
    | { ok: false; status: number; text: string; ms: number };
  const send = async (till: (typeof tills)[number], payload: { id: string }, record: boolean): Promise<Answer> => {
    const t0 = performance.now();
    try {
      const r = await signed(till, '/api/v1/till/sales', payload);
      const ms = performance.now() - t0;
      const timing = /sale;dur=([0-9.]+)/.exec(String(r.headers['server-timing'] ?? ''));
      if (record && timing) serverTimes.push(Number(timing[1]));
      if (r.status === 201 || r.status === 200) {
        acknowledged.add(payload.id);
        return { ok: true, status: r.status, body: JSON.parse(r.text) as unknown, ms };
      }
      const key = `${r.status} ${r.text.slice(0, 120)}`;
      refused.set(key, (refused.get(key) ?? 0) + 1);
      return { ok: false, status: r.status, text: r.text, ms };
    } catch (e) {
      timedOut.add(payload.id);
      const key = `error ${(e as Error).message}`;
      refused.set(key, (refused.get(key) ?? 0) + 1);
      return { ok: false, status: 0, text: String(e), ms: performance.now() - t0 };
    }
  };
  const saleOf = (till: (typeof tills)[number]) => ({
    id: uuidv7(),
    session: till.session,
    pointId: till.venue.pointId,
    cardUid: cards[Math.floor(Math.random() * CARDS)]!.uid,
    items: [{ articleId: till.venue.articleId, quantity: 1 }],
    payments: [{ method: 'card', amountCents: PRICE }],
  });
  /** Sale k: every 10th sent again right after its answer, every 20th (offset 5) twice at once. */
  const sellOne = async (till: (typeof tills)[number], k: number, record: boolean) => {
    const payload = saleOf(till);
    if (k % 20 === 5) {
      const [a, b] = await Promise.all([send(till, payload, record), send(till, payload, false)]);
      if (record) latencies.push(a.ms);
      retries++;
      if (record) retryLatencies.push(b.ms);
      const statuses = [a.status, b.status].sort().join(',');
      if (statuses !== '200,201' || !a.ok || !b.ok || !isDeepStrictEqual(a.body, b.body)) retryMismatches++;
      return;
    }
    const first = await send(till, payload, record);
    if (record) latencies.push(first.ms);
    if (k % 10 === 0 && first.ok) {
      const again = await send(till, payload, false);
      retries++;
      if (record) retryLatencies.push(again.ms);
      if (!again.ok || again.status !== 200 || !isDeepStrictEqual(again.body, first.body)) retryMismatches++;
    }
  };
  // Warm-up (not measured): 10 sales per till, as fast as they go.
  await Promise.all(
    tills.map(async (till, t) => {
      for (let j = 0; j < 10; j++) await sellOne(till, t * 10 + j + 1, false);
    }),
  );

  const total = Math.round(RATE * SECONDS);
  const hardStop = performance.now() + (SECONDS + 30) * 1000;
  let next = 0;
  const runStarted = performance.now();
  const cpu0 = cpuSecondsOf(server.pid);
  await Promise.all(
    tills.map(async (till) => {
      for (;;) {
        const k = next++;
        if (k >= total) return;
        const due = runStarted + (k * 1000) / RATE;
        const now = performance.now();
        if (now > hardStop) return;
        if (due > now) await new Promise((r) => setTimeout(r, due - now));
        else if (now - due > 100) late++;
        await sellOne(till, k, true);
      }
    }),
  );
  const runMs = performance.now() - runStarted;
  const cpu1 = cpuSecondsOf(server.pid);
  await http.close();
  const measured = latencies.length;
  const salesPerS = (measured / runMs) * 1000;
  const sorted = [...latencies].sort((x, y) => x - y);
  const p99 = percentile(sorted, 99);
  log(
    `(b) Rezo till sales, HTTP, signed        ${measured} sales (of ${total} scheduled at ${RATE}/s) by ${TILLS} tills in ${(runMs / 1000).toFixed(2)} s: ${salesPerS.toFixed(1)}/s, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1)?.toFixed(2)} ms; ${late} started > 100 ms late; max in flight ${maxInFlight}/${MAX_IN_FLIGHT}`,
  );
  const sortedServer = [...serverTimes].sort((x, y) => x - y);
  log(
    `    server time (Server-Timing) p50 ${percentile(sortedServer, 50).toFixed(2)} ms, p99 ${percentile(sortedServer, 99).toFixed(2)} ms, max ${sortedServer.at(-1)?.toFixed(2)} ms`,
  );
  if (cpu0 !== null && cpu1 !== null)
    log(
      `    rezo serve CPU: ${(((cpu1 - cpu0) * 1000) / (measured + retryLatencies.length)).toFixed(2)} ms per request (${((((cpu1 - cpu0) * 1000) / runMs) * 100).toFixed(0)} % of one core)`,
    );
  const sortedRetries = [...retryLatencies].sort((x, y) => x - y);
  log(
    `    retries with the same id: ${retries} (after the answer and concurrent; warm-up included), measured p99 ${percentile(sortedRetries, 99).toFixed(2)} ms, answers not 200 with the same body: ${retryMismatches}`,
  );
  for (const [what, n] of refused) log(`    refused or failed: ${n} × ${what}`);

  // The database, at the end: one sale row and one payment transfer per acknowledged sale id.
  const rows = new Map(
    (
      await db
        .selectFrom('till_sales')
        .select(['id', sql<string>`count(*)`.as('n')])
        .where('place_id', 'in', placeIds)
        .groupBy('id')
        .execute()
    ).map((r) => [r.id, Number(r.n)]),
  );
  const transfers = new Map(
    (
      await sql<{
        sale: string;
        n: string;
      }>`select metadata->>'sale' as sale, count(*) as n from ledger_transfers where kind = 'payment' group by 1`.execute(
        db,
      )
    ).rows.map((r) => [r.sale, Number(r.n)]),
  );
  let lost = 0;
  let missingTransfers = 0;
  let duplicated = 0;
  for (const id of acknowledged) {
    const n = rows.get(id) ?? 0;
    const m = transfers.get(id) ?? 0;
    if (n === 0) lost++;
    else if (m === 0) missingTransfers++;
    duplicated += Math.max(0, n - 1) + Math.max(0, m - 1);
  }
  let unacknowledged = 0;
  let unacknowledgedTimedOut = 0;
  for (const id of rows.keys()) {
    if (acknowledged.has(id)) continue;
    if (timedOut.has(id)) unacknowledgedTimedOut++;
    else unacknowledged++;
  }
  const strayTransfers = [...transfers.keys()].filter((id) => !rows.has(id)).length;
  const venueCents = (
    await db
      .selectFrom('ledger_accounts')
      .select(sql<string>`coalesce(sum(balance), 0)`.as('s'))
      .where('currency_id', '=', euro.id)
      .where('owner_kind', '=', 'place')
      .executeTakeFirstOrThrow()
  ).s;
  log(
    `check: ${acknowledged.size} sale ids acknowledged (warm-up included), ${rows.size} till_sales rows, ${[...transfers.values()].reduce((a, b) => a + b, 0)} payment transfers; lost ${lost}, acknowledged without transfer ${missingTransfers}, duplicated ${duplicated}; rows never acknowledged ${unacknowledged} (+ ${unacknowledgedTimedOut} timed out), transfers without a sale ${strayTransfers}; venues hold ${Number(venueCents)} = ${rows.size} × ${PRICE}: ${Number(venueCents) === rows.size * PRICE ? 'OK' : 'FAILED'}`,
  );

  const check = await verifyLedger(db);
  log(`verify ledger: ${check.ok ? 'OK' : `FAILED ${JSON.stringify(check.problem)}`}`);
  const journals = await Promise.all(placeIds.map((p) => verifyJournal(db, p)));
  log(
    `verify journals: ${journals.every((j) => j.ok) ? 'OK' : 'FAILED'} (${journals.map((j) => j.lines).join(', ')} lines)`,
  );
  log(
    `sales_per_s=${salesPerS.toFixed(1)} p99_ms=${p99.toFixed(2)} lost=${lost + missingTransfers} duplicated=${duplicated} baseline_per_s=${baselinePerS.toFixed(0)} ratio=${(salesPerS / baselinePerS).toFixed(3)}`,
  );
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await database.close();
  await admin(serverUrl, `drop database if exists ${name} with (force)`);
}
