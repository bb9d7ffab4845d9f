import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { testConfig } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { listMigrations } from './db/migrate.ts';
import { Client } from '../test/harness.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from '../test/testDatabase.ts';
import { assembleNode } from './node/node.ts';

const root = new URL('..', import.meta.url);
const BASE_URL = 'http://rezo.cli.test';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/rezo.js …` with only the environment given (no DATABASE_URL leaking from the shell). */
export function runRezo(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/rezo.js', ...args], {
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

let dataDir: string;
let testDatabase: TestDatabase | null = null;
let env: Record<string, string>;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rezo-cli-'));
  env = { REZO_DATA_DIR: dataDir, REZO_ENV: 'test', LOG_LEVEL: 'warn', REZO_BASE_URL: BASE_URL };
  if (onPostgres) {
    testDatabase = await createTestDatabase();
    env.DATABASE_URL = testDatabase.url!;
  }
});
after(async () => {
  await testDatabase?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The node's database, opened in this process between two CLI runs (PGlite allows one process at a time). */
async function withNodeDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  if (testDatabase) return fn(testDatabase.database);
  const database = await openDatabase({ dataDir: join(dataDir, 'pglite') });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const oneLine = (text: string) => {
  assert.equal(text.trimEnd().split('\n').length, 1, `one line expected, got:\n${text}`);
  assert.match(text, /^rezo: /);
};

describe('the rezo command', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await runRezo(['--help'], env);
    assert.equal(r.code, 0);
    for (const command of [
      'serve',
      'migrate',
      'demo',
      'login-link <email>',
      'operator add <email>',
      'operator remove <email>',
    ]) {
      assert.ok(r.stdout.includes(command), command);
    }
    assert.equal(r.stderr, '');
  });

  test('no command and an unknown command: exit 1 with one line on stderr', async () => {
    const none = await runRezo([], env);
    assert.equal(none.code, 1);
    oneLine(none.stderr);
    assert.match(none.stderr, /no command/);
    const unknown = await runRezo(['fly'], env);
    assert.equal(unknown.code, 1);
    oneLine(unknown.stderr);
    assert.match(unknown.stderr, /unknown command "fly"/);
    assert.equal(unknown.stdout, '');
  });

  test('a bad configuration: exit 1 with one line naming the variable', async () => {
    const r = await runRezo(['migrate'], { ...env, PORT: 'abc', REZO_SOMETHING: '1' });
    assert.equal(r.code, 1);
    oneLine(r.stderr);
    assert.match(r.stderr, /PORT: "abc"/);
    assert.match(r.stderr, /REZO_SOMETHING: unknown setting/);
  });

  test('migrate applies the migrations once; a second run applies nothing', async () => {
    const first = await runRezo(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    if (!onPostgres) {
      const versions = (await listMigrations()).map((m) => m.version);
      assert.equal(first.stdout, `migrations applied: ${versions.join(', ')}\n`);
    }
    const before = await withNodeDatabase((d) =>
      d.db
        .selectFrom('schema_migrations' as never)
        .selectAll()
        .execute(),
    );
    const second = await runRezo(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'database is up to date: no migration to apply\n');
    const afterRows = await withNodeDatabase((d) =>
      d.db
        .selectFrom('schema_migrations' as never)
        .selectAll()
        .execute(),
    );
    assert.deepEqual(afterRows, before);
  });

  test('demo loads the 4 venues once, then refuses with one line', async () => {
    const r = await runRezo(['demo'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /admin@demo\.rezo\.test/);
    const again = await runRezo(['demo'], env);
    assert.equal(again.code, 1);
    oneLine(again.stderr);
    assert.match(again.stderr, /already has venues/);
    const places = await withNodeDatabase((d) => d.db.selectFrom('places').select('slug').execute());
    assert.equal(places.length, 4);
  });

  test('login-link refuses a bad address with one line and writes no token', async () => {
    const r = await runRezo(['login-link', 'not-an-address'], env);
    assert.equal(r.code, 1);
    oneLine(r.stderr);
    assert.match(r.stderr, /e-mail/);
    const missing = await runRezo(['login-link'], env);
    assert.equal(missing.code, 1);
    oneLine(missing.stderr);
    assert.match(missing.stderr, /usage: rezo login-link <email>/);
  });

  test('operator add makes an operator; login-link prints one URL that logs in', async () => {
    const op = await runRezo(['operator', 'add', 'Chief@Example.org'], env);
    assert.equal(op.code, 0, op.stderr);
    assert.equal(op.stdout, 'chief@example.org is now a node operator\n');
    const link = await runRezo(['login-link', 'chief@example.org'], env);
    assert.equal(link.code, 0, link.stderr);
    assert.match(link.stdout, new RegExp(`^${BASE_URL}/login/[A-Za-z0-9_-]{43}\\n$`));
    const path = link.stdout.trim().slice(BASE_URL.length);

    await withNodeDatabase(async (database) => {
      const row = await database.db
        .selectFrom('people')
        .select(['is_operator'])
        .where('email', '=', 'chief@example.org')
        .executeTakeFirstOrThrow();
      assert.equal(row.is_operator, true);
      const node = await assembleNode(testConfig({ baseUrl: BASE_URL }), database, pino({ level: 'silent' }));
      try {
        const c = new Client(node.app);
        assert.equal((await c.get(path)).statusCode, 200);
        const done = await c.postForm(path, {});
        assert.equal(done.statusCode, 303, done.body);
        const me = await c.api('GET', '/api/v1/me');
        assert.equal(me.statusCode, 200);
        assert.equal(me.json().email, 'chief@example.org');
        assert.equal(me.json().isOperator, true);
        // The tokens of the refused address above were never written.
        const tokens = await database.db.selectFrom('login_tokens').select('email').execute();
        assert.deepEqual(
          tokens.map((t) => t.email),
          ['chief@example.org'],
        );
      } finally {
        await node.app.close();
        await node.mail.stop();
      }
    });
  });
});
