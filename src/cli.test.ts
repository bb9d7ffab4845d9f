import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { testConfig } from './config.ts';
import { listMigrations } from './db/migrate.ts';
import { Client } from '../test/harness.ts';
import { runRezo, useScratchNode } from '../test/rezoProcess.ts';
import { onPostgres } from '../test/testDatabase.ts';
import { assembleNode } from './node/node.ts';

const BASE_URL = 'http://rezo.cli.test';

const node = useScratchNode('rezo-cli-', { REZO_ENV: 'test', LOG_LEVEL: 'warn', REZO_BASE_URL: BASE_URL });

const oneLine = (text: string) => {
  assert.equal(text.trimEnd().split('\n').length, 1, `one line expected, got:\n${text}`);
  assert.match(text, /^rezo: /);
};

describe('the rezo command', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await node.run(...['--help']);
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
    const none = await node.run(...[]);
    assert.equal(none.code, 1);
    oneLine(none.stderr);
    assert.match(none.stderr, /no command/);
    const unknown = await node.run(...['fly']);
    assert.equal(unknown.code, 1);
    oneLine(unknown.stderr);
    assert.match(unknown.stderr, /unknown command "fly"/);
    assert.equal(unknown.stdout, '');
  });

  test('a bad configuration: exit 1 with one line naming the variable', async () => {
    const r = await runRezo(['migrate'], { ...node.env, PORT: 'abc', REZO_SOMETHING: '1' });
    assert.equal(r.code, 1);
    oneLine(r.stderr);
    assert.match(r.stderr, /PORT: "abc"/);
    assert.match(r.stderr, /REZO_SOMETHING: unknown setting/);
  });

  test('migrate applies the migrations once; a second run applies nothing', async () => {
    const first = await node.run(...['migrate']);
    assert.equal(first.code, 0, first.stderr);
    if (!onPostgres) {
      const versions = (await listMigrations()).map((m) => m.version);
      assert.equal(first.stdout, `migrations applied: ${versions.join(', ')}\n`);
    }
    const before = await node.withDatabase((d) =>
      d.db
        .selectFrom('schema_migrations' as never)
        .selectAll()
        .execute(),
    );
    const second = await node.run(...['migrate']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'database is up to date: no migration to apply\n');
    const afterRows = await node.withDatabase((d) =>
      d.db
        .selectFrom('schema_migrations' as never)
        .selectAll()
        .execute(),
    );
    assert.deepEqual(afterRows, before);
  });

  test('demo loads the 4 venues once, then refuses with one line', async () => {
    const r = await node.run(...['demo']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /admin@demo\.rezo\.test/);
    const again = await node.run(...['demo']);
    assert.equal(again.code, 1);
    oneLine(again.stderr);
    assert.match(again.stderr, /already has venues/);
    const places = await node.withDatabase((d) => d.db.selectFrom('places').select('slug').execute());
    assert.equal(places.length, 4);
  });

  test('login-link refuses a bad address with one line and writes no token', async () => {
    const r = await node.run(...['login-link', 'not-an-address']);
    assert.equal(r.code, 1);
    oneLine(r.stderr);
    assert.match(r.stderr, /e-mail/);
    const missing = await node.run(...['login-link']);
    assert.equal(missing.code, 1);
    oneLine(missing.stderr);
    assert.match(missing.stderr, /usage: rezo login-link <email>/);
  });

  test('operator add makes an operator; login-link prints one URL that logs in', async () => {
    const op = await node.run(...['operator', 'add', 'Chief@Example.org']);
    assert.equal(op.code, 0, op.stderr);
    assert.equal(op.stdout, 'chief@example.org is now a node operator\n');
    const link = await node.run(...['login-link', 'chief@example.org']);
    assert.equal(link.code, 0, link.stderr);
    assert.match(link.stdout, new RegExp(`^${BASE_URL}/login/[A-Za-z0-9_-]{43}\\n$`));
    const path = link.stdout.trim().slice(BASE_URL.length);

    await node.withDatabase(async (database) => {
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
