import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { Mutex } from '../shared/mutex.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { preparingClient, StatementNames } from './preparedStatements.ts';
import type { DB } from './schema.ts';

export type Db = Kysely<DB>;
export type Trx = Transaction<DB>;

/** A connected database: the Kysely handle, a way to run multi-statement SQL scripts, and close(). */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Runs `fn` on one database session that executes raw SQL (scripts of several statements, no parameters). */
  withScriptSession<T>(fn: (session: ScriptSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite only: the whole data directory as a tarball, to clone a migrated database quickly. */
  dumpDataDir?(): Promise<Blob>;
}

export interface ScriptSession {
  /** Runs a script of one or more statements. */
  exec(script: string): Promise<void>;
  /** Runs one statement and returns its rows. */
  rows<R>(statement: string): Promise<R[]>;
}

export interface DatabaseOptions {
  /** postgres:// URL of a PostgreSQL server; when absent, PGlite is used. */
  url?: string;
  /** Folder of the embedded database; absent means in memory. */
  dataDir?: string;
  /** A PGlite data directory dump (from dumpDataDir) to start from, used by the test harness. */
  loadDataDir?: Blob;
  /** Maximum connections in the pool (PostgreSQL only). */
  poolSize?: number;
  /** Hot queries as named prepared statements (PostgreSQL only, default on): see preparedStatements.ts. */
  preparedStatements?: boolean;
}

// int8 (bigint) columns hold money in minor units and counters. JavaScript numbers are exact up to
// 2^53; a value beyond that would silently lose precision, so refuse it loudly instead.
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value out of the safe range: ${text}`);
  return value;
}
pg.types.setTypeParser(pg.types.builtins.INT8, parseInt8);
// A calendar date (membership validity, day boundaries) has no time zone: keep it as 'YYYY-MM-DD'
// instead of pg's default, a Date at local midnight that shifts with the server's zone.
const keepText = (text: string) => text;
pg.types.setTypeParser(pg.types.builtins.DATE, keepText);
// numeric stays a string (exact decimals); timestamptz becomes a Date.

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, options.preparedStatements ?? true);
  return openPGlite(options);
}

async function openPostgres(url: string, poolSize: number, prepared: boolean): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    ...(prepared ? { Client: preparingClient(new StatementNames()) } : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    async withScriptSession(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (script) => {
            await client.query(script);
          },
          rows: async <R>(statement: string) => (await client.query(statement)).rows as R[],
        });
      } finally {
        client.release();
      }
    },
    // Kysely ends the pool only if it ran a query itself; a session used only for scripts (migrate)
    // would otherwise keep its idle connection open until the pool's idle timeout.
    close: once(async () => {
      await db.destroy();
      if (!pool.ended) await pool.end();
    }),
  };
}

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it. A
 * lock file holding the owner's pid keeps a second `rezo` out with a clear message; a lock left by a
 * process that no longer runs is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = join(dataDir, 'rezo.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by another rezo process (pid ${pid}); stop it first, or run on PostgreSQL with DATABASE_URL`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`cannot lock the embedded database in ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPGlite(options: DatabaseOptions): Promise<Database> {
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: { [pg.types.builtins.INT8]: parseInt8, [pg.types.builtins.DATE]: keepText },
  });
  const mutex = new Mutex();
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite, mutex) });
  return {
    kind: 'pglite',
    db,
    async withScriptSession(fn) {
      const release = await mutex.acquire();
      try {
        return await fn({
          exec: async (script) => {
            await pglite.exec(script);
          },
          rows: async <R>(statement: string) => (await pglite.query<R>(statement)).rows,
        });
      } finally {
        release();
      }
    },
    close: once(async () => {
      await db.destroy();
      await pglite.close();
      unlock();
    }),
    async dumpDataDir() {
      return mutex.run(() => pglite.dumpDataDir('none'));
    },
  };
}

/** Closing twice (the node on stop, the test harness after) closes once. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

/**
 * Runs `fn` in a transaction. When `db` already is a transaction, `fn` joins it: a use case called by
 * another module's use case commits or rolls back with its caller, all or nothing.
 */
export async function inTransaction<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Trx);
  return db.transaction().execute(fn);
}
