import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { createTestDatabase, type TestDatabase } from '../../test/testDatabase.ts';
import { loadConfig, testConfig } from '../config.ts';
import { assembleNode, type RunningNode } from '../node/node.ts';
import { loadNodeSecret } from '../node/nodeSecret.ts';
import { demoCard } from '../cards/demoCards.ts';
import { demoStartLines } from './demoStartLines.ts';
import { loadDemo } from './loadDemo.ts';

/** What card n of the demo was on every node before: derived from constants in the public source. */
const publishedCard = (n: number) => ({
  uid: `04${createHash('sha256').update(`rezo-demo-card-uid-${n}`).digest('hex').slice(0, 12).toUpperCase()}`,
  token: `demo${String(n).padStart(3, '0')}${createHash('sha256').update(`rezo-demo-card-token-${n}`).digest('base64url').slice(0, 20)}`,
});

let demoDb: TestDatabase;
let production: RunningNode;
before(async () => {
  demoDb = await createTestDatabase();
  assert.equal(await loadDemo(demoDb.database.db, testConfig()), true);
  production = await assembleNode(testConfig({ env: 'production' }), demoDb.database, pino({ level: 'silent' }));
});
after(async () => {
  await production.stop();
  await demoDb.close();
});

describe('the demo is for development', () => {
  test('REZO_DEMO is on by default only in development; production and test load it only when asked', () => {
    assert.equal(loadConfig({}).demo, true);
    assert.equal(loadConfig({ REZO_ENV: 'development' }).demo, true);
    assert.equal(loadConfig({ REZO_ENV: 'production' }).demo, false);
    assert.equal(loadConfig({ NODE_ENV: 'production' }).demo, false);
    assert.equal(loadConfig({ REZO_ENV: 'test' }).demo, false);
    assert.equal(loadConfig({ REZO_ENV: 'production', REZO_DEMO: '1' }).demo, true);
    assert.equal(loadConfig({ REZO_ENV: 'development', REZO_DEMO: '0' }).demo, false);
  });

  test('demo card UIDs and tokens are random per install, not the ones derived from the public source', async () => {
    const db = demoDb.database.db;
    const secret = await loadNodeSecret(db);
    for (const n of [1, 21, 91]) {
      const card = await db
        .selectFrom('cards')
        .select(['uid', 'qr_token_sha256'])
        .where('number', '=', `DEMO-${String(n).padStart(3, '0')}`)
        .executeTakeFirstOrThrow();
      assert.notEqual(card.uid, publishedCard(n).uid, `DEMO-${n} UID`);
      assert.equal(card.uid, demoCard(secret, n).uid);
    }
    // Another install (another node secret) has other cards.
    assert.notEqual(demoCard('another secret', 1).uid, demoCard(secret, 1).uid);
    assert.notEqual(demoCard('another secret', 1).token, demoCard(secret, 1).token);
    // The published token opens nothing; the install's own opens its card.
    assert.equal((await production.app.inject(`/cards/${publishedCard(1).token}`)).statusCode, 404);
    assert.equal((await production.app.inject(`/cards/${demoCard(secret, 1).token}`)).statusCode, 200);
  });

  test('the start lines give a newcomer the install’s own card UIDs and card page', async () => {
    const db = demoDb.database.db;
    const secret = await loadNodeSecret(db);
    const lines = (await demoStartLines(db, testConfig({ env: 'development' }))).join('\n');
    const staff = await db.selectFrom('cards').select('uid').where('number', '=', 'DEMO-091').executeTakeFirstOrThrow();
    assert.ok(lines.includes(`DEMO-091 ${staff.uid}`), lines);
    assert.ok(lines.includes(`DEMO-001 ${demoCard(secret, 1).uid}`), lines);
    assert.ok(lines.includes(`http://rezo.test/cards/${demoCard(secret, 1).token}`), lines);
    assert.doesNotMatch(lines, /production/i);
  });

  test('a production node with demo data says so at start and on every page', async () => {
    const lines = (await demoStartLines(demoDb.database.db, testConfig({ env: 'production' }))).join('\n');
    assert.match(lines, /WARNING.*production node holds the demo data/);
    // No login link for the demo admin is printed in production.
    assert.doesNotMatch(lines, /\/login\//);
    for (const url of ['/', '/agenda', '/login', '/venues/la-fabrik', '/no-such-page']) {
      const page = await production.app.inject({ url, headers: { 'accept-language': 'en' } });
      assert.match(String(page.headers['content-type']), /^text\/html/, url);
      assert.match(page.body, /class="demo-banner"/, url);
      assert.match(page.body, /demonstration data/, url);
    }
  });
});

describe('without the demo, or in development, no banner', () => {
  let plain: TestNode;
  let dev: RunningNode;
  before(async () => {
    plain = await createTestNode({ env: 'production' });
    dev = await assembleNode(testConfig({ env: 'development' }), demoDb.database, pino({ level: 'silent' }));
  });
  after(async () => {
    await plain.close();
    await dev.app.close();
  });

  test('a production node without demo data and a development node show no banner', async () => {
    for (const app of [plain.app, dev.app]) {
      const page = await app.inject('/');
      assert.equal(page.statusCode, 200);
      assert.doesNotMatch(page.body, /demo-banner/);
    }
    assert.deepEqual(await demoStartLines(plain.db, testConfig({ env: 'production' })), []);
  });
});
