import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Pool } from 'undici';
import { SYSTEM } from '../src/access/actor.ts';
import type { Db } from '../src/db/database.ts';
import { mintAgainstPayment } from '../src/ledger/mintAgainstPayment.ts';
import { uuidv7 } from '../src/shared/ids.ts';
import { MAX_AMOUNT_MINOR } from '../src/shared/money.ts';

/**
 * What every benchmark shares: the PostgreSQL server of DATABASE_URL (required), a scratch database
 * on it, a free loopback port, percentiles. Each bench creates its own scratch database and drops it.
 */
export function requireServerUrl(bench: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write(
      `${bench} needs DATABASE_URL (a PostgreSQL server; a scratch database is created there and dropped)\n`,
    );
    process.exit(2);
  }
  return url;
}

export const log = (s: string) => process.stdout.write(s + '\n');

/** Runs one statement on the server's own database (create/drop the scratch database). */
export async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the same server. */
export function databaseOn(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. The
 * server's CPU per request does not depend on what else the machine runs, unlike latencies: the
 * figure to compare two versions of the code on a busy machine.
 */
export function cpuSecondsOf(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** Prints one phase of a bench (count, rate, p50, p99) and returns its rate per second. */
export function printPhase(name: string, unit: string, latencies: number[], ms: number, width = 34): number {
  const sorted = [...latencies].sort((x, y) => x - y);
  const perS = (latencies.length / ms) * 1000;
  log(
    `${name.padEnd(width)} ${latencies.length} ${unit} in ${(ms / 1000).toFixed(2)} s: ${perS.toFixed(0)}/s, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`,
  );
  return perS;
}

/** The p-th percentile of an ascending list (0 when empty). */
export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

/**
 * Starts `rezo serve` in its own process on `databaseUrl` (as in production: the load generator does
 * not share its event loop) and waits for /healthz. `profileDir` writes a V8 CPU profile on exit.
 */
export async function startRezo(
  databaseUrl: string,
  options: { poolSize: number; profileDir?: string; timeoutMs?: number },
): Promise<{ server: ChildProcess; address: string }> {
  const port = await freePort();
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const server = spawn(
    process.execPath,
    [...profile, fileURLToPath(new URL('../bin/rezo.js', import.meta.url)), 'serve'],
    {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl,
        HOST: '127.0.0.1',
        PORT: String(port),
        REZO_DEMO: '0',
        LOG_LEVEL: 'error',
        REZO_ENV: 'production',
        REZO_DB_POOL_SIZE: String(options.poolSize),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const address = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    try {
      if ((await fetch(`${address}/healthz`)).ok) break;
    } catch {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error('rezo serve did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { server, address };
}

/** CPU seconds used so far by the whole machine (all cores, from /proc/stat), by every PostgreSQL process, by this process. */
export interface CpuSnapshot {
  machine: number;
  postgres: number;
  self: number;
}
export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    const busy = ticks.reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0); // minus idle, iowait
    let postgres = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        postgres += Number(fields[11]) + Number(fields[12]);
      } catch {
        /* gone meanwhile */
      }
    }
    const own = process.cpuUsage();
    return { machine: busy / 100, postgres: postgres / 100, self: (own.user + own.system) / 1e6 };
  } catch {
    return null;
  }
}

/**
 * Where the CPU went between two snapshots, per unit of work: the server (its pid), PostgreSQL, the
 * load generator (this process) and the rest of the machine. On a 2-core machine the four share two
 * cores: the figure that says which one to make cheaper. (Backends that exit meanwhile are not counted.)
 */
export function cpuPerUnit(
  before: CpuSnapshot | null,
  after: CpuSnapshot | null,
  serverSeconds: number | null,
  units: number,
  unit: string,
): string {
  if (!before || !after || units <= 0) return 'CPU breakdown: not available (needs /proc)';
  const ms = (s: number) => ((s * 1000) / units).toFixed(2);
  const machine = after.machine - before.machine;
  const postgres = after.postgres - before.postgres;
  const self = after.self - before.self;
  const server = serverSeconds ?? 0;
  return `CPU per ${unit}: machine ${ms(machine)} ms = server ${ms(server)} + PostgreSQL ${ms(postgres)} + load generator ${ms(self)} + other ${ms(Math.max(0, machine - server - postgres - self))}`;
}

/**
 * The floor under any request of a bench: `count` GET /healthz (one HTTP request, one `select 1`)
 * from `width` clients at once on `http`. Returns the rate and latencies, as a phase.
 */
export async function healthzFloor(
  http: Pool,
  count: number,
  width: number,
): Promise<{ latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next++ < count) {
        const t0 = performance.now();
        const r = await http.request({ method: 'GET', path: '/healthz' });
        await r.body.dump();
        if (r.statusCode !== 200) throw new Error(`healthz answered ${r.statusCode}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, ms: performance.now() - started };
}

/**
 * Mints `total` minor units of a euro-backed currency onto an account (the benches' treasury), in mints
 * of at most MAX_AMOUNT_MINOR each (the bound of one transfer), each against its own payment reference.
 */
export async function fundTreasury(
  db: Db,
  currencyCode: string,
  accountId: string,
  total: number,
  reference: string,
): Promise<void> {
  for (let part = 0, left = total; left > 0; part++) {
    const amount = Math.min(left, MAX_AMOUNT_MINOR);
    await mintAgainstPayment(db, SYSTEM, {
      id: uuidv7(),
      currencyCode,
      accountId,
      amount,
      payment: { provider: 'transfer', reference: `${reference}-${part}` },
    });
    left -= amount;
  }
}
