import { createServer } from 'node:net';
import pg from 'pg';

/**
 * What every benchmark shares: the PostgreSQL server of DATABASE_URL (required), a scratch database
 * on it, a free loopback port, percentiles. Each bench creates its own scratch database and drops it.
 */
export function requireServerUrl(bench: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write(`${bench} needs DATABASE_URL (a PostgreSQL server; a scratch database is created there and dropped)\n`);
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

/** The p-th percentile of an ascending list (0 when empty). */
export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}
