import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';
import { MIGRATION_LOCK_KEY } from './locks.ts';

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface MigrationFile {
  version: string;
  sql: string;
}

export async function listMigrations(): Promise<MigrationFile[]> {
  const names = (await readdir(migrationsDir)).filter((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => ({
      version: name.replace(/\.sql$/, ''),
      sql: await readFile(migrationsDir + name, 'utf8'),
    })),
  );
}

/**
 * Applies the migrations not applied yet, in order, each in its own transaction. Forward-only: a
 * migration never changes once it has shipped; fixes are new migrations. A session-level advisory
 * lock makes concurrent starts (several `rezo serve` on one database) wait for each other.
 * Returns the versions applied by this call.
 */
export async function migrate(database: Database): Promise<string[]> {
  const migrations = await listMigrations();
  return database.withScriptSession(async ({ exec, rows }) => {
    await exec(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await exec(
        'create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())',
      );
      const applied = new Set(
        (await rows<{ version: string }>('select version from schema_migrations')).map((r) => r.version),
      );
      const done: string[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await exec(`begin;\n${m.sql}\n;insert into schema_migrations (version) values ('${m.version}');\ncommit;`);
        done.push(m.version);
      }
      return done;
    } catch (error) {
      await exec('rollback').catch(() => {});
      throw error;
    } finally {
      await exec(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => {});
    }
  });
}
