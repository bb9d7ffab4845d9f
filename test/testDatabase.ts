import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database, type Db } from '../src/db/database.ts';
import type { DB } from '../src/db/schema.ts';
import { migrate } from '../src/db/migrate.ts';
import { DomainError } from '../src/shared/errors.ts';

/**
 * An isolated, migrated database for one test file.
 * - PGlite (default): a fresh in-memory instance loaded from the migrated template that the test
 *   runner dumped once (REZO_TEST_PGLITE_TEMPLATE), or migrated here when run without the runner.
 * - PostgreSQL (TEST_DATABASE_URL): a new database created from the template database the runner
 *   migrated once (REZO_TEST_PG_TEMPLATE), dropped at the end.
 */
export interface TestDatabase {
  database: Database;
  /** The database's URL on PostgreSQL (for tests that start a second process); null on PGlite. */
  url: string | null;
  close(): Promise<void>;
}

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

export async function createTestDatabase(): Promise<TestDatabase> {
  // The modules' payment purposes, as buildApp and the CLI register them: tests confirm payments without an app too.
  (await import('../src/node/modules.ts')).registerModules();
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const templatePath = process.env.REZO_TEST_PGLITE_TEMPLATE;
    if (templatePath) {
      const database = await openDatabase({ loadDataDir: new Blob([await readFile(templatePath)]) });
      return { database, url: null, close: () => database.close() };
    }
    const database = await openDatabase({});
    await migrate(database);
    return { database, url: null, close: () => database.close() };
  }
  const name = `rezo_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const template = process.env.REZO_TEST_PG_TEMPLATE;
  await withAdmin(serverUrl, async (client) => {
    // Creating from one template in parallel test files can meet "source database is being
    // accessed by other users" for a moment; wait and try again.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database ${name}${template ? ` template ${template}` : ''}`);
        return;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  const url = databaseUrl(serverUrl, name);
  const database = await openDatabase({ url, poolSize: 20 });
  if (!template) await migrate(database);
  return {
    database,
    url,
    async close() {
      await database.close();
      await withAdmin(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/**
 * The usual start of a test file on a database alone: one opened before the file's tests and closed
 * after. `ready` receives it once open: assign it to the file's variables and build the file's world there.
 */
export function useTestDatabase(ready: (opened: { tdb: TestDatabase; db: Db }) => unknown): void {
  let tdb: TestDatabase | undefined;
  before(async () => {
    tdb = await createTestDatabase();
    await ready({ tdb, db: tdb.database.db });
  });
  after(() => tdb?.close());
}

export function databaseUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A database with no table at all (for migration tests): in memory on PGlite, a new empty database on
 * PostgreSQL. `drop` closes it (and drops it).
 */
export async function createEmptyDatabase(): Promise<{
  database: Database;
  url: string | null;
  drop(): Promise<void>;
}> {
  if (!onPostgres) {
    const database = await openDatabase({});
    return { database, url: null, drop: () => database.close() };
  }
  const server = process.env.TEST_DATABASE_URL!;
  const name = `rezo_t_empty_${randomBytes(4).toString('hex')}`;
  await withAdmin(server, (c) => c.query(`create database ${name}`));
  const url = databaseUrl(server, name);
  const database = await openDatabase({ url, poolSize: 4 });
  return {
    database,
    url,
    async drop() {
      await database.close();
      await withAdmin(server, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** A predicate for `assert.rejects`: the error is a DomainError with this problem code. */
export const isCode =
  (code: string) =>
  (error: unknown): boolean =>
    error instanceof DomainError && error.code === code;

/**
 * How many rows a table holds, or only those whose columns equal `where`: what a test counts to prove
 * a step wrote what it should, or that a refused one wrote nothing.
 */
export async function countRows(
  db: Db,
  table: keyof DB,
  where: Record<string, string | boolean> = {},
): Promise<number> {
  const conditions = Object.entries(where).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);
  const filter = conditions.length ? sql` where ${sql.join(conditions, sql` and `)}` : sql``;
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}${filter}`.execute(db);
  return Number(rows[0]!.n);
}

/** What a refused call says: a DomainError's field errors (`field:message`, joined) or else its code; any other error as text. */
export const codeOf = (e: unknown): string =>
  e instanceof DomainError
    ? e.fields.length
      ? e.fields.map((f) => `${f.field}:${f.message}`).join(',')
      : e.code
    : String(e);
