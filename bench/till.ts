/**
 * `npm run bench:till`: card payments at the till, through the device-signed HTTP API of a
 * `rezo serve` process, on the PostgreSQL server of DATABASE_URL (a scratch database created and
 * dropped here), against a baseline measured in the same run.
 *
 *   (a) baseline: raw SQL, per transaction the shape of a card sale without its rules — lock the card
 *       row, two balance UPDATEs under a floor CHECK, one transfer INSERT, one sale INSERT, one journal
 *       INSERT — by CONCURRENCY clients over the same cards and venues;
 *   (b) Rezo: POST /api/v1/till/sales, one beer paid by card, signed by the venue's till, with its
 *       session: signature and nonce, sale lock and replay check, session, articles, card lock, currency
 *       order, ledger transfer with its hash chain, sale row, hash-chained journal line.
 *
 * Server time is the route's own measurement (Server-Timing `sale;dur=`); the client latency includes
 * HTTP. Ends with `till_p99_ms=<server p99> sales_per_s=<b> baseline_per_s=<a> ratio=<b/a>`.
 * Settings: BENCH_SALES (default 3000), BENCH_CONCURRENCY (16), BENCH_VENUES (4), BENCH_CARDS (2000).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
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
import { mintAgainstPayment } from '../src/ledger/mintAgainstPayment.ts';
import { registerDevice } from '../src/ledger/registerDevice.ts';
import { signDeviceRequest } from '../src/ledger/deviceSignature.ts';
import { verifyLedger } from '../src/ledger/verifyLedger.ts';
import { verifyJournal } from '../src/till/verifyJournal.ts';
import { admin, databaseOn, startRezo, log, percentile, requireServerUrl } from './common.ts';

const SALES = Number(process.env.BENCH_SALES) || 3000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY) || 16;
const VENUES = Number(process.env.BENCH_VENUES) || 4;
const CARDS = Number(process.env.BENCH_CARDS) || 2000;
const CARD_CENTS = 1_000_000;
const PRICE = 350;

const serverUrl = requireServerUrl('bench:till');

function summary(name: string, latencies: number[], ms: number) {
  const sorted = [...latencies].sort((x, y) => x - y);
  const perS = (latencies.length / ms) * 1000;
  log(`${name.padEnd(40)} ${latencies.length} sales in ${(ms / 1000).toFixed(2)} s: ${perS.toFixed(0)}/s, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`);
  return perS;
}

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
const database = await openDatabase({ url: url.toString(), poolSize: CONCURRENCY + 4 });
let server: ChildProcess | null = null;
try {
  await migrate(database);
  const db = database.db;
  log(`setup: ${VENUES} venues with a till each, ${CARDS} anonymous cards of ${CARD_CENTS / 100} € (scratch database ${name})`);
  const owner = await ensurePerson(db, 'bench@example.org', 'en');
  const cashier = await ensurePerson(db, 'cashier@example.org', 'en');
  const placeIds: string[] = [];
  for (let v = 0; v < VENUES; v++) placeIds.push((await createPlace(db, SYSTEM, { slug: `till-${v}`, name: `Till ${v}` }, owner.id)).id);
  const federation = await createFederation(db, SYSTEM, { slug: 'bench', name: 'Bench', placeIds });
  const euro = await createCurrency(db, SYSTEM, { code: 'BENCH', name: 'Bench €', kind: 'federated_euro', decimals: 2, federationId: federation.id });

  // Cards: one batch, anonymous; the cashier's staff card.
  const batchId = uuidv7();
  await db.insertInto('card_batches').values({ id: batchId, name: 'bench', card_count: CARDS + 1 }).execute();
  const uidOf = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 14).toUpperCase();
  const cardIds = Array.from({ length: CARDS }, () => uuidv7());
  for (let i = 0; i < CARDS; i += 1000) {
    await db.insertInto('cards').values(cardIds.slice(i, i + 1000).map((id) => ({
      id, batch_id: batchId, uid: uidOf(id), number: `B${uidOf(id)}`, qr_token_sha256: createHash('sha256').update(`qr${id}`).digest('hex'),
    }))).execute();
    await db.insertInto('ledger_accounts').values(cardIds.slice(i, i + 1000).map((id) => ({ id: uuidv7(), currency_id: euro.id, owner_kind: 'card' as const, owner_ref: id, floor: 0 }))).execute();
  }
  const staffCardId = uuidv7();
  await db.insertInto('cards').values({ id: staffCardId, batch_id: batchId, uid: uidOf(staffCardId), number: 'STAFF', qr_token_sha256: createHash('sha256').update(`qr${staffCardId}`).digest('hex'), person_id: cashier.id, linked_at: new Date() }).execute();
  const accounts = new Map((await db.selectFrom('ledger_accounts').select(['id', 'owner_ref']).where('currency_id', '=', euro.id).where('owner_kind', '=', 'card').execute()).map((a) => [a.owner_ref, a.id]));
  const cards = cardIds.map((id) => ({ id, uid: uidOf(id), account: accounts.get(id)! }));
  // Funded through the ledger: one backed mint onto a treasurer, then batches of transfers to the cards.
  const treasurer = uuidv7();
  const treasury = await ensureAccount(db, { currencyId: euro.id, ownerKind: 'person', ownerRef: treasurer });
  await mintAgainstPayment(db, SYSTEM, { id: uuidv7(), currencyCode: euro.code, accountId: treasury.id, amount: CARDS * CARD_CENTS, payment: { provider: 'transfer', reference: 'bench-funding' } });
  for (let i = 0; i < CARDS; i += 19) {
    await createTransfers(db, personActor(treasurer), {
      transfers: cards.slice(i, i + 19).map((c) => ({ id: uuidv7(), debitAccountId: treasury.id, creditAccountId: c.account, amount: CARD_CENTS, kind: 'transfer' })),
    });
  }

  // Venues: a till, the cashier, a bar selling a beer.
  const venues: { id: string; account: string; pointId: string; articleId: string; device: { id: string; key: KeyObject }; session: string }[] = [];
  for (const placeId of placeIds) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const device = await registerDevice(db, SYSTEM, { placeId, name: 'till', kind: 'till', publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') });
    const account = await ensureAccount(db, { currencyId: euro.id, ownerKind: 'place', ownerRef: placeId });
    await db.insertInto('place_members').values({ place_id: placeId, person_id: cashier.id, role: 'cashier' }).execute();
    const pointId = uuidv7();
    const articleId = uuidv7();
    await db.insertInto('pos_points').values({ place_id: placeId, id: pointId, name: 'Bar' }).execute();
    await db.insertInto('pos_articles').values({ place_id: placeId, id: articleId, name: 'Beer', kind: 'sale', price_cents: PRICE, vat_rate: 2000 }).execute();
    await db.insertInto('pos_point_articles').values({ place_id: placeId, point_id: pointId, article_id: articleId }).execute();
    venues.push({ id: placeId, account: account.id, pointId, articleId, device: { id: device.id, key: privateKey }, session: '' });
  }

  // (a) Baseline: the same cards copied to plain tables, the same shape of transaction.
  await sql`create table bench_cards (id uuid primary key, uid text unique not null)`.execute(db);
  await sql`insert into bench_cards select id, uid from cards`.execute(db);
  await sql`create table bench_accounts (id uuid primary key, balance bigint not null check (balance >= 0))`.execute(db);
  await sql`insert into bench_accounts select id, balance from ledger_accounts where currency_id = ${euro.id} and owner_kind <> 'system'`.execute(db);
  await sql`create table bench_transfers (id uuid primary key, debit uuid not null, credit uuid not null, amount bigint not null, created_at timestamptz not null default now())`.execute(db);
  await sql`create table bench_sales (id uuid primary key, place_id uuid not null, card_id uuid not null, total bigint not null, result jsonb not null, created_at timestamptz not null default now())`.execute(db);
  await sql`create table bench_journal (place_id uuid not null, id uuid not null, sale_id uuid not null, amount bigint not null, primary key (place_id, id))`.execute(db);
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
      await client.query('insert into bench_transfers (id, debit, credit, amount) values ($1, $2, $3, $4)', [uuidv7(), card.account, venue.account, PRICE]);
      await client.query('insert into bench_sales (id, place_id, card_id, total, result) values ($1, $2, $3, $4, $5)', [saleId, venue.id, card.id, PRICE, JSON.stringify({ id: saleId })]);
      await client.query('insert into bench_journal (place_id, id, sale_id, amount) values ($1, $2, $3, $4)', [venue.id, uuidv7(), saleId, PRICE]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
  await pool.end();
  const baselinePerS = summary('(a) baseline raw SQL', baseline.latencies, baseline.ms);

  // (b) Rezo over HTTP, on a node in its own process, as in production.
  const started = await startRezo(url.toString(), { poolSize: CONCURRENCY + 4 });
  server = started.server;
  const address = started.address;
  const http = new Pool(address, { connections: Math.max(CONCURRENCY, 16), pipelining: 1 });
  const signed = async (venue: (typeof venues)[number], path: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const headers = signDeviceRequest(venue.device.key, { placeId: venue.id, deviceId: venue.device.id, method: 'POST', path, body });
    const r = await http.request({ method: 'POST', path, headers: { ...headers, 'content-type': 'application/json' }, body });
    return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
  };
  for (const venue of venues) {
    const opened = await signed(venue, '/api/v1/till/open', { cardUid: uidOf(staffCardId) });
    if (opened.status !== 201) throw new Error(`open refused: ${opened.status} ${opened.text}`);
    venue.session = (JSON.parse(opened.text) as { session: string }).session;
  }
  const serverTimes: number[] = [];
  const sell = async (i: number, record: boolean) => {
    const { card, venue } = pick(i);
    const r = await signed(venue, '/api/v1/till/sales', {
      id: uuidv7(), session: venue.session, pointId: venue.pointId, cardUid: card.uid,
      items: [{ articleId: venue.articleId, quantity: 1 }], payments: [{ method: 'card', amountCents: PRICE }],
    });
    if (r.status !== 201) throw new Error(`sale refused: ${r.status} ${r.text}`);
    const timing = /sale;dur=([0-9.]+)/.exec(String(r.headers['server-timing'] ?? ''));
    if (record && timing) serverTimes.push(Number(timing[1]));
  };
  await drive(200, CONCURRENCY, (i) => sell(SALES + i, false));
  const rezo = await drive(SALES, CONCURRENCY, (i) => sell(i, true));
  const rezoPerS = summary('(b) Rezo till sales, HTTP, signed', rezo.latencies, rezo.ms);
  const sortedServer = [...serverTimes].sort((x, y) => x - y);
  const serverP99 = percentile(sortedServer, 99);
  log(`    server time (Server-Timing) p50 ${percentile(sortedServer, 50).toFixed(2)} ms, p99 ${serverP99.toFixed(2)} ms, max ${sortedServer.at(-1)?.toFixed(2)} ms`);
  await http.close();

  const check = await verifyLedger(db);
  log(`verify ledger: ${check.ok ? 'OK' : `FAILED ${JSON.stringify(check.problem)}`}`);
  const journals = await Promise.all(placeIds.map((p) => verifyJournal(db, p)));
  log(`verify journals: ${journals.every((j) => j.ok) ? 'OK' : 'FAILED'} (${journals.map((j) => j.lines).join(', ')} lines)`);
  log(`till_p99_ms=${serverP99.toFixed(2)} sales_per_s=${rezoPerS.toFixed(0)} baseline_per_s=${baselinePerS.toFixed(0)} ratio=${(rezoPerS / baselinePerS).toFixed(2)}`);
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await database.close();
  await admin(serverUrl, `drop database if exists ${name} with (force)`);
}
