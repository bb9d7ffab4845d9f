import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { purgeExpired } from './purgeExpired.ts';
import { requestLoginLink } from './requestLoginLink.ts';

let t: TestNode;
useTestNode((node) => (t = node));

test('expired sessions and day-old login links are purged; live ones stay and keep working', async () => {
  const live = await t.loginAs('live@example.org');
  const stale = await t.loginAs('stale@example.org');
  await sql`update sessions set expires_at = now() - interval '1 minute' where person_id = (select id from people where email = 'stale@example.org')`.execute(
    t.db,
  );
  await requestLoginLink(t.db, t.config, { email: 'old@example.org', language: 'fr', sendMail: false });
  await sql`update login_tokens set created_at = now() - interval '2 days' where email = 'old@example.org'`.execute(
    t.db,
  );

  const purged = await purgeExpired(t.db);
  assert.deepEqual(purged, { sessions: 1, loginTokens: 1 });
  assert.equal((await live.api('GET', '/api/v1/me')).statusCode, 200);
  assert.equal((await stale.api('GET', '/api/v1/me')).statusCode, 401);
  assert.deepEqual(await purgeExpired(t.db), { sessions: 0, loginTokens: 0 });
});
