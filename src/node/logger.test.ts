import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { testConfig } from '../config.ts';
import { createTestDatabase, type TestDatabase } from '../../test/testDatabase.ts';
import { assembleNode, type RunningNode } from './node.ts';
import { createLogger } from './logger.ts';

let tdb: TestDatabase;
let node: RunningNode;
const lines: string[] = [];
const logger = createLogger(
  testConfig({ logLevel: 'info' }),
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  }),
);
before(async () => {
  tdb = await createTestDatabase();
  node = await assembleNode(testConfig({ logLevel: 'info' }), tdb.database, logger);
});
after(async () => {
  await node.stop();
  await tdb.close();
});

describe('logs', () => {
  test('login, card, order and waiting-list tokens stay out of the access log', async () => {
    const token = 'Secr3tT0kenSecr3tT0kenSecr3tT0kenSecr3tT0k';
    lines.length = 0;
    for (const url of [
      `/login/${token}`,
      `/cards/${token}`,
      `/orders/confirm/${token}`,
      `/waitlist/offers/${token}`,
      `/waitlist/entries/${token}`,
    ])
      await node.app.inject(url);
    const log = lines.join('');
    assert.match(log, /"url":"\/login\/\[token\]"/);
    assert.match(log, /"url":"\/cards\/\[token\]"/);
    assert.match(log, /"msg":"incoming request"/);
    assert.doesNotMatch(log, new RegExp(token));
  });

  test('an error logged with its database error carries no e-mail address, client IP or statement parameter', async () => {
    const db = tdb.database.db;
    await db
      .insertInto('people')
      .values({ id: '0190f3a0-0000-7000-8000-00000000dd01', email: 'private.person@example.org' })
      .execute();
    const errors: unknown[] = [];
    // Real errors of the database: a unique index quoting the address, a cast quoting the values.
    await db
      .insertInto('people')
      .values({ id: '0190f3a0-0000-7000-8000-00000000dd02', email: 'Private.Person@example.org' })
      .execute()
      .catch((e: unknown) => errors.push(e));
    await sql`select ${'private.person@example.org'}::int, ${'203.0.113.77'}::int, ${'2001:db8::77'}::int`
      .execute(db)
      .catch((e: unknown) => errors.push(e));
    assert.equal(errors.length, 2);
    lines.length = 0;
    for (const err of errors) logger.error({ err }, 'request failed');
    const log = lines.join('');
    assert.match(log, /request failed/);
    assert.match(log, /"type":"/);
    assert.doesNotMatch(log, /private\.person@example\.org/i);
    assert.doesNotMatch(log, /203\.0\.113\.77|2001:db8::77/);
    assert.doesNotMatch(log, /"params"/);
  });
});
