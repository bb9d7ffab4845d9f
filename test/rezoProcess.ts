import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from './testDatabase.ts';

/** The repository's root and its `rezo` command. */
const root = fileURLToPath(new URL('..', import.meta.url));
export const rezoBin = fileURLToPath(new URL('../bin/rezo.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/rezo.js …` to its end with only the environment given (no DATABASE_URL leaking from the shell). */
export function runRezo(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [rezoBin, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A scratch node for `rezo` commands (useScratchNode): its data folder, environment and database. */
export interface ScratchNode {
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly testDatabase: TestDatabase | null;
  /** Runs `rezo …` on the node. */
  run(...args: string[]): Promise<Run>;
  /** The node's database, opened in this process between two command runs (PGlite allows one process at a time). */
  withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T>;
}

/**
 * Registers the test file's before and after: a scratch node for `rezo` commands — a temporary data folder
 * (`prefix…`), on PostgreSQL a test database — and its environment, REZO_DATA_DIR and DATABASE_URL added to
 * `env`. `ready` sets up more once it exists; after the tests the database is closed and the folder removed.
 */
export function useScratchNode(
  prefix: string,
  env: Record<string, string>,
  ready: (node: ScratchNode) => unknown = () => undefined,
): ScratchNode {
  const state = { dataDir: '', env: {} as Record<string, string>, testDatabase: null as TestDatabase | null };
  const node: ScratchNode = {
    get dataDir() {
      return state.dataDir;
    },
    get env() {
      return state.env;
    },
    get testDatabase() {
      return state.testDatabase;
    },
    run: (...args) => runRezo(args, state.env),
    async withDatabase(fn) {
      if (state.testDatabase) return fn(state.testDatabase.database);
      const database = await openDatabase({ dataDir: join(state.dataDir, 'pglite') });
      try {
        return await fn(database);
      } finally {
        await database.close();
      }
    },
  };
  before(async () => {
    state.dataDir = await mkdtemp(join(tmpdir(), prefix));
    state.env = { REZO_DATA_DIR: state.dataDir, ...env };
    if (onPostgres) {
      state.testDatabase = await createTestDatabase();
      state.env.DATABASE_URL = state.testDatabase.url!;
    }
    await ready(node);
  });
  after(async () => {
    await state.testDatabase?.close();
    await rm(state.dataDir, { recursive: true, force: true });
  });
  return node;
}
