/**
 * `npm run bench:tickets`: selling one date of 1,000 places to 2,000 buyers arriving at once, over
 * HTTP, against the PostgreSQL server of DATABASE_URL (a scratch database is created and dropped).
 * Everything below runs in one run, so the figures compare on a shared machine:
 *
 *   (a) baseline: raw SQL, per sale one conditional capacity UPDATE and one INSERT, same number of
 *       attempts, BENCH_CONCURRENCY clients;
 *   (f) the fake Stripe alone: as many Checkout Sessions created through the official SDK, from this
 *       process, as Rezo will create — what the test double costs, not Rezo;
 *   (b) Rezo: each buyer POSTs /api/v1/orders to a `rezo serve` process (order, payment row, Stripe
 *       session on the fake), then the fake's signed webhook is POSTed to /webhooks/stripe, which
 *       confirms the order and issues the ticket. Order and webhook requests are timed separately;
 *   (h) the floor: as many GET /healthz (one request, one `select 1`) as the sale made requests,
 *       from the same clients to the same node — the most it could sell if a ticket cost nothing else.
 *
 * Ends with `sold=<n> capacity=<c> oversold=<n-c if positive else 0> tickets_per_s=<x> p99_ms=<y>
 * baseline_per_s=<a> ratio=<x/a> server_cpu_ms_per_ticket=<c>` (p99 of the order request; c: CPU time of
 * the `rezo serve` process during (b), from /proc, divided by the tickets sold). Settings: BENCH_BUYERS (2000),
 * BENCH_CAPACITY (1000), BENCH_CONCURRENCY (connections, 128), BENCH_TIMEOUT_S (120),
 * BENCH_PROFILE=<dir> (the server writes a V8 CPU profile there: `node --cpu-prof`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import Stripe from 'stripe';
import { Pool } from 'undici';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { createTicketPrice } from '../src/ticketing/createTicketPrice.ts';
import { eventWithDates } from '../src/ticketing/testFixtures.ts';
import { FakeStripe } from '../test/fakes/fakeStripe.ts';
import {
  admin,
  cpuPerUnit,
  cpuSecondsOf,
  cpuSnapshot,
  databaseOn,
  healthzFloor,
  freePort,
  log,
  percentile,
  requireServerUrl,
} from './common.ts';

const BUYERS = Number(process.env.BENCH_BUYERS) || 2000;
const CAPACITY = Number(process.env.BENCH_CAPACITY) || 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY) || 128;
const TIMEOUT_MS = (Number(process.env.BENCH_TIMEOUT_S) || 120) * 1000;
const PROFILE_DIR = process.env.BENCH_PROFILE || null;

/** Runs `task(i)` for i < n with at most `width` at once. */
async function inParallel(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}
const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`;
};

const serverUrl = requireServerUrl('bench:tickets');
const root = fileURLToPath(new URL('..', import.meta.url));

const dbUrl = (name: string) => databaseOn(serverUrl, name);

const name = `rezo_bench_tickets_${Date.now().toString(36)}`;
await admin(serverUrl, `create database ${name}`);
const fake = await new FakeStripe().start();
let child: ReturnType<typeof spawn> | null = null;
try {
  const database = await openDatabase({ url: dbUrl(name), poolSize: 4 });
  await migrate(database);
  const ev = await eventWithDates(database.db, { slug: 'bench-hall', capacity: CAPACITY });
  await database.db
    .updateTable('places')
    .set({ stripe_account_id: 'acct_bench' })
    .where('id', '=', ev.place.id)
    .execute();
  const { id: priceId } = await createTicketPrice(database.db, ev.admin, {
    slug: 'bench-hall',
    eventId: ev.eventId,
    name: 'Plein tarif',
    kind: 'fixed',
    price: '15',
    perOrderLimit: '10',
  });

  // (a) Baseline: the bare minimum a correct sale costs in SQL.
  await database.db.schema
    .createTable('bench_capacity')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('capacity', 'integer')
    .addColumn('taken', 'integer')
    .execute();
  await database.db.schema
    .createTable('bench_sales')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz')
    .execute();
  await database.db
    .insertInto('bench_capacity' as never)
    .values({ id: 1, capacity: CAPACITY, taken: 0 } as never)
    .execute();
  const pool = new pg.Pool({ connectionString: dbUrl(name), max: Math.min(CONCURRENCY, 20) });
  let baselineSold = 0;
  const b0 = performance.now();
  await Promise.all(
    Array.from({ length: BUYERS }, async () => {
      const c = await pool.connect();
      try {
        await c.query('begin');
        const r = await c.query(
          'update bench_capacity set taken = taken + 1 where id = 1 and taken + 1 <= capacity returning taken',
        );
        if (r.rowCount === 1) {
          await c.query('insert into bench_sales (id, at) values (gen_random_uuid(), now())');
          baselineSold++;
        }
        await c.query('commit');
      } finally {
        c.release();
      }
    }),
  );
  const baselineSeconds = (performance.now() - b0) / 1000;
  await pool.end();
  const baselinePerS = baselineSold / baselineSeconds;
  log(
    `baseline: ${baselineSold} sales of ${BUYERS} attempts in ${baselineSeconds.toFixed(2)} s = ${baselinePerS.toFixed(0)} sales/s`,
  );
  await database.close();

  // (f) The fake Stripe alone: the cost of the test double (and of the SDK) for the sessions Rezo
  // will ask for, measured from this process, which also hosts the fake during (b).
  const direct = new Stripe('sk_test_bench', {
    host: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  });
  const fakeLatencies: number[] = [];
  const f0 = performance.now();
  await inParallel(CAPACITY, CONCURRENCY, async (i) => {
    const s = performance.now();
    await direct.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [
          { quantity: 1, price_data: { currency: 'eur', unit_amount: 1500, product_data: { name: 'bench' } } },
        ],
        success_url: 'http://x/s',
        cancel_url: 'http://x/c',
        client_reference_id: String(i),
      },
      { idempotencyKey: `bench-${i}`, stripeAccount: 'acct_bench' },
    );
    fakeLatencies.push(performance.now() - s);
  });
  const fakeSeconds = (performance.now() - f0) / 1000;
  log(
    `fake Stripe alone: ${CAPACITY} sessions in ${fakeSeconds.toFixed(2)} s = ${(CAPACITY / fakeSeconds).toFixed(0)}/s, ${summary(fakeLatencies)}`,
  );

  // (b) Rezo, over HTTP, with payment and webhook.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  child = spawn(
    process.execPath,
    [...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []), `${root}bin/rezo.js`, 'serve'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: dbUrl(name),
        PORT: String(port),
        HOST: '127.0.0.1',
        REZO_BASE_URL: base,
        REZO_DEMO: '0',
        REZO_ENV: 'production',
        LOG_LEVEL: 'warn',
        REZO_DB_POOL_SIZE: '20',
        STRIPE_SECRET_KEY: 'sk_test_bench',
        STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
        REZO_STRIPE_API_URL: fake.apiUrl,
        // Every buyer comes from the load generator's one address, without an account: the per-client
        // limit and the unconfirmed share (docs/TICKETING.md, invariants 20 and 21) would refuse the rush
        // this measures. The per-address limit stays on (one buyer, one address): its cost is measured.
        REZO_ORDERS_PER_CLIENT: '0',
        REZO_UNCONFIRMED_HOLD_PERCENT: '100',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const http = new Pool(base, { connections: CONCURRENCY, pipelining: 1 });
  for (let i = 0; ; i++) {
    try {
      const r = await http.request({ path: '/healthz', method: 'GET' });
      await r.body.dump();
      if (r.statusCode === 200) break;
    } catch {
      /* not up yet */
    }
    if (i > 200) throw new Error('rezo serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const orderLatencies: number[] = [];
  const webhookLatencies: number[] = [];
  let placed = 0;
  let soldOut = 0;
  let failed = 0;
  const deadline = Date.now() + TIMEOUT_MS;
  const cpu0 = cpuSecondsOf(child.pid);
  const machine0 = cpuSnapshot();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: BUYERS }, async (_, i) => {
      if (Date.now() > deadline) return;
      const s = performance.now();
      const r = await http.request({
        path: '/api/v1/orders',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          venue: 'bench-hall',
          email: `buyer${i}@bench.example`,
          lines: [{ priceId, eventDateId: ev.dateIds[0], quantity: 1 }],
        }),
      });
      const body = (await r.body.json()) as { next?: { url?: string } };
      orderLatencies.push(performance.now() - s);
      if (r.statusCode === 409) return void soldOut++;
      if (r.statusCode !== 201 || !body.next?.url) return void failed++;
      placed++;
      const sessionId = body.next.url.split('/pay/')[1]!;
      const { payload, signature } = fake.signed(fake.complete(sessionId));
      const ws = performance.now();
      const w = await http.request({
        path: '/webhooks/stripe',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
      await w.body.dump();
      webhookLatencies.push(performance.now() - ws);
      if (w.statusCode !== 200) failed++;
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuSecondsOf(child.pid);
  const machine1 = cpuSnapshot();
  // (h) The floor under any sale: a sold ticket costs three requests here (its order, its webhook,
  // and one refused buyer's order). The same node answering as many GET /healthz (one HTTP request,
  // one `select 1` round trip each) from the same clients gives the most it could sell on this machine
  // if tickets cost nothing else — before the Stripe session each order also asks for, as in (f).
  const floorRequests = BUYERS + placed;
  const floorSeconds = (await healthzFloor(http, floorRequests, CONCURRENCY)).ms / 1000;
  await http.close();

  const check = await openDatabase({ url: dbUrl(name), poolSize: 2 });
  const sold = Number(
    (
      await check.db
        .selectFrom('tickets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('event_date_id', '=', ev.dateIds[0]!)
        .where('status', '=', 'valid')
        .executeTakeFirstOrThrow()
    ).n,
  );
  const capacityRow = await check.db
    .selectFrom('date_capacity')
    .select(['capacity', 'taken'])
    .where('event_date_id', '=', ev.dateIds[0]!)
    .executeTakeFirstOrThrow();
  await check.close();
  orderLatencies.sort((a, b) => a - b);
  const ticketsPerS = sold / seconds;
  log(
    `rezo: ${BUYERS} buyers, ${placed} orders placed, ${soldOut} told sold out, ${failed} failed, in ${seconds.toFixed(2)} s`,
  );
  log(
    `order request: p50 ${percentile(orderLatencies, 50).toFixed(1)} ms, p99 ${percentile(orderLatencies, 99).toFixed(1)} ms; counter taken=${capacityRow.taken}`,
  );
  log(`webhook request: ${summary(webhookLatencies)}`);
  const cpuMsPerTicket = cpu0 !== null && cpu1 !== null && sold > 0 ? ((cpu1 - cpu0) * 1000) / sold : null;
  if (cpuMsPerTicket !== null)
    log(
      `server CPU during the sale: ${(cpu1! - cpu0!).toFixed(2)} s for ${BUYERS} buyers = ${cpuMsPerTicket.toFixed(2)} ms per ticket sold (refusals included)`,
    );
  log(
    `floor: ${floorRequests} GET /healthz in ${floorSeconds.toFixed(2)} s = ${(floorRequests / floorSeconds).toFixed(0)} requests/s, at three requests per ticket sold at most ${(sold / floorSeconds).toFixed(0)} tickets/s`,
  );
  log(cpuPerUnit(machine0, machine1, cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null, sold, 'ticket sold'));
  log(
    `sold=${sold} capacity=${capacityRow.capacity} oversold=${Math.max(0, sold - capacityRow.capacity)} tickets_per_s=${ticketsPerS.toFixed(0)} p99_ms=${percentile(orderLatencies, 99).toFixed(1)} baseline_per_s=${baselinePerS.toFixed(0)} ratio=${(ticketsPerS / baselinePerS).toFixed(3)}${cpuMsPerTicket !== null ? ` server_cpu_ms_per_ticket=${cpuMsPerTicket.toFixed(2)}` : ''}`,
  );
} finally {
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  await fake.stop();
  await admin(serverUrl, `drop database if exists ${name} with (force)`);
}
