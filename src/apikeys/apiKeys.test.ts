import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { API_SCOPES } from '../access/permissions.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode;
let admin: Client;
before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('keys@example.org');
  for (const slug of ['kaz-a', 'kaz-b']) {
    const r = await admin.api('POST', '/api/v1/venues', { slug, name: slug });
    assert.equal(r.statusCode, 201, r.body);
  }
});
after(() => t.close());

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

/** Makes a key through the API and returns its id and secret. */
async function makeKey(slug: string, scopes: string[], name = 'test'): Promise<{ id: string; secret: string }> {
  const r = await admin.api('POST', `/api/v1/venues/${slug}/api-keys`, { name, scopes });
  assert.equal(r.statusCode, 201, r.body);
  return { id: r.json().key.id, secret: r.json().secret };
}
const keyRow = (id: string) => t.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const countKeys = async () => countRows(t.db, 'api_keys');
const placeRow = (slug: string) =>
  t.db.selectFrom('places').selectAll().where('slug', '=', slug).executeTakeFirstOrThrow();
const problemType = (body: string) => (JSON.parse(body) as { type: string }).type.split('/problems/')[1];

describe('making keys', () => {
  test('the page shows the new secret once; the list and the database never hold it', async () => {
    const page = await admin.get('/venues/kaz-a/admin/keys');
    assert.equal(page.statusCode, 200);
    const r = await admin.postForm('/venues/kaz-a/admin/keys', {
      name: 'Site web',
      scopes: ['place:read', 'place:write'],
    });
    assert.equal(r.statusCode, 201, r.body.slice(0, 300));
    const secret = /id="new-key" readonly value="(rezo_[A-Za-z0-9_-]+)"/.exec(r.body)?.[1];
    assert.ok(secret, 'the secret is shown');
    assert.match(r.body, /Copiez-la maintenant/);
    const again = await admin.get('/venues/kaz-a/admin/keys');
    assert.ok(!again.body.includes(secret), 'the secret is not shown a second time');
    assert.match(again.body, /Site web/);
    const row = await t.db.selectFrom('api_keys').selectAll().where('name', '=', 'Site web').executeTakeFirstOrThrow();
    assert.deepEqual(Buffer.from(row.key_hash), createHash('sha256').update(secret).digest());
    assert.ok(secret.startsWith(row.prefix));
    assert.ok(!JSON.stringify(row).includes(secret.slice(row.prefix.length)), 'no column holds the secret');
    assert.deepEqual(row.scopes, ['place:read', 'place:write']);
  });

  test('the API returns the secret once; the list never contains it', async () => {
    const r = await admin.api('POST', '/api/v1/venues/kaz-a/api-keys', { name: 'Scanner', scopes: ['checkin'] });
    assert.equal(r.statusCode, 201, r.body);
    const { key, secret } = r.json() as { key: { id: string; prefix: string; revokedAt: null }; secret: string };
    assert.match(secret, /^rezo_[A-Za-z0-9_-]{43}$/);
    assert.ok(secret.startsWith(key.prefix));
    const list = await admin.api('GET', '/api/v1/venues/kaz-a/api-keys');
    assert.equal(list.statusCode, 200);
    assert.ok(!list.body.includes(secret));
    const listed = (list.json().items as Record<string, unknown>[]).find((k) => k.id === key.id);
    assert.deepEqual(Object.keys(listed!).sort(), [
      'createdAt',
      'id',
      'lastUsedAt',
      'name',
      'prefix',
      'revokedAt',
      'scopes',
    ]);
    const audit = await t.db
      .selectFrom('audit_log')
      .select('data')
      .where('action', '=', 'api-key.created')
      .where('subject_id', '=', key.id)
      .executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(audit).includes(secret));
  });

  test('a nameless key, no scope or an unknown scope are refused and nothing is made', async () => {
    const before = await countKeys();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', scopes: ['place:read'] }, 'name'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['admin'] }, 'scopes.0'],
      [{ name: 'x'.repeat(81), scopes: ['place:read'] }, 'name'],
    ];
    for (const [body, field] of cases) {
      const r = await admin.api('POST', '/api/v1/venues/kaz-a/api-keys', body);
      assert.equal(r.statusCode, 422, JSON.stringify(body));
      assert.ok(
        (r.json().errors as { field: string }[]).some((e) => e.field === field),
        `${JSON.stringify(body)}: ${r.body}`,
      );
    }
    const forms: Record<string, string | string[]>[] = [
      { name: '   ', scopes: 'place:read' },
      { name: 'x' },
      { name: 'x', scopes: ['place:read', 'root'] },
    ];
    for (const form of forms) {
      const r = await admin.postForm('/venues/kaz-a/admin/keys', form);
      assert.equal(r.statusCode, 422, JSON.stringify(form));
      assert.ok(!/id="new-key"/.test(r.body));
    }
    assert.equal(await countKeys(), before);
  });
});

describe('using keys', () => {
  test('a key does what its scopes allow on its venue, and records who did it', async () => {
    const key = await makeKey('kaz-a', ['place:write', 'team:read']);
    const r = await withKey(t.app, key.secret, 'PATCH', '/api/v1/venues/kaz-a', { city: 'Saint-Leu' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await placeRow('kaz-a')).city, 'Saint-Leu');
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['actor_api_key_id', 'actor_person_id'])
      .where('action', '=', 'place.updated')
      .execute();
    assert.deepEqual(audit, [{ actor_api_key_id: key.id, actor_person_id: null }]);
    const team = await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-a/team');
    assert.equal(team.statusCode, 200);
    assert.ok((await keyRow(key.id)).last_used_at);
  });

  test('a key without the scope gets 403 api-key-scope, and nothing changes', async () => {
    const key = await makeKey('kaz-a', ['place:read']);
    const before = await placeRow('kaz-a');
    const r = await withKey(t.app, key.secret, 'PATCH', '/api/v1/venues/kaz-a', { city: 'Nope' });
    assert.equal(r.statusCode, 403);
    assert.equal(r.headers['content-type'], PROBLEM_JSON);
    assert.equal(problemType(r.body), 'api-key-scope');
    assert.match(r.json().detail, /place:write/);
    assert.equal((await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-a/team')).statusCode, 403);
    assert.deepEqual(await placeRow('kaz-a'), before);
  });

  test('a key of venue A gets 403 on venue B, whatever its scopes', async () => {
    const key = await makeKey('kaz-a', [...API_SCOPES]);
    const before = await placeRow('kaz-b');
    const r = await withKey(t.app, key.secret, 'PATCH', '/api/v1/venues/kaz-b', { name: 'Taken over' });
    assert.equal(r.statusCode, 403);
    assert.equal(problemType(r.body), 'api-key-scope');
    assert.equal((await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-b/team')).statusCode, 403);
    assert.deepEqual(await placeRow('kaz-b'), before);
  });

  test('a key can neither make, list nor revoke keys, nor manage the team', async () => {
    const key = await makeKey('kaz-a', [...API_SCOPES]);
    const other = await makeKey('kaz-a', ['place:read']);
    const boss = (
      await t.db.selectFrom('people').select('id').where('email', '=', 'keys@example.org').executeTakeFirstOrThrow()
    ).id;
    const keysBefore = await t.db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    const teamBefore = await t.db.selectFrom('place_members').selectAll().orderBy('person_id').execute();
    const attempts: [string, string, unknown?][] = [
      ['POST', '/api/v1/venues/kaz-a/api-keys', { name: 'child', scopes: ['place:read'] }],
      ['GET', '/api/v1/venues/kaz-a/api-keys'],
      ['DELETE', `/api/v1/venues/kaz-a/api-keys/${other.id}`],
      ['POST', '/api/v1/venues/kaz-a/team', { email: 'friend@example.org', role: 'admin' }],
      ['PATCH', `/api/v1/venues/kaz-a/team/${boss}`, { role: 'door' }],
      ['DELETE', `/api/v1/venues/kaz-a/team/${boss}`],
    ];
    for (const [method, url, body] of attempts) {
      const r = await withKey(t.app, key.secret, method, url, body);
      assert.equal(r.statusCode, 403, `${method} ${url}: ${r.body}`);
      assert.equal(r.headers['content-type'], PROBLEM_JSON);
    }
    // Only the key's last use moves.
    const withoutUse = (rows: typeof keysBefore) => rows.map((k) => ({ ...k, last_used_at: null }));
    assert.deepEqual(
      withoutUse(await t.db.selectFrom('api_keys').selectAll().orderBy('id').execute()),
      withoutUse(keysBefore),
    );
    assert.deepEqual(await t.db.selectFrom('place_members').selectAll().orderBy('person_id').execute(), teamBefore);
    assert.equal((await keyRow(other.id)).revoked_at, null);
    assert.equal(
      await t.db.selectFrom('people').select('id').where('email', '=', 'friend@example.org').executeTakeFirst(),
      undefined,
    );
  });

  test('a key cannot create a venue: only people can', async () => {
    const key = await makeKey('kaz-a', [...API_SCOPES]);
    const r = await withKey(t.app, key.secret, 'POST', '/api/v1/venues', { slug: 'by-key', name: 'By key' });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(
      await t.db.selectFrom('places').select('id').where('slug', '=', 'by-key').executeTakeFirst(),
      undefined,
    );
  });
});

describe('revoking keys', () => {
  test('a key revoked by the API stops working at the very next request', async () => {
    const key = await makeKey('kaz-a', ['place:read', 'team:read']);
    assert.equal((await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-a/team')).statusCode, 200);
    const revoke = await admin.api('DELETE', `/api/v1/venues/kaz-a/api-keys/${key.id}`);
    assert.equal(revoke.statusCode, 204);
    const r = await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-a/team');
    assert.equal(r.statusCode, 401);
    assert.equal(problemType(r.body), 'api-key-invalid');
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    // Revoking twice is harmless and keeps the first date.
    const first = (await keyRow(key.id)).revoked_at;
    assert.equal((await admin.api('DELETE', `/api/v1/venues/kaz-a/api-keys/${key.id}`)).statusCode, 204);
    assert.deepEqual((await keyRow(key.id)).revoked_at, first);
  });

  test('the revoke button works too, and the page shows the key as revoked', async () => {
    const key = await makeKey('kaz-a', ['place:read'], 'Caisse');
    await admin.get('/venues/kaz-a/admin/keys');
    const r = await admin.postForm(`/venues/kaz-a/admin/keys/${key.id}/revoke`, {});
    assert.equal(r.statusCode, 303);
    assert.equal((await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-a')).statusCode, 401);
    const page = await admin.get('/venues/kaz-a/admin/keys');
    assert.match(page.body, /Révoquée le/);
  });

  test('a key is revoked only through its own venue; unknown ids are 404', async () => {
    const key = await makeKey('kaz-a', ['place:read']);
    for (const url of [
      `/api/v1/venues/kaz-b/api-keys/${key.id}`,
      '/api/v1/venues/kaz-a/api-keys/0190a0b0-0000-7000-8000-000000000000',
      '/api/v1/venues/kaz-a/api-keys/nope',
    ]) {
      assert.equal((await admin.api('DELETE', url)).statusCode, 404, url);
    }
    assert.equal((await keyRow(key.id)).revoked_at, null);
  });
});

describe('bearer authentication', () => {
  test('a malformed or unknown Bearer gets 401 with WWW-Authenticate', async () => {
    const key = await makeKey('kaz-a', ['place:read']);
    const headers = [
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer rezo_unknown',
      `Bearer ${key.secret}x`,
      `Bearer ${key.secret.slice(5)}`,
      `Bearer ${'rezo_' + 'a'.repeat(200)}`,
      `Bearer ${key.secret} extra`,
    ];
    for (const authorization of headers) {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/venues/kaz-a', headers: { authorization } });
      assert.equal(r.statusCode, 401, authorization);
      assert.equal(r.headers['www-authenticate'], 'Bearer', authorization);
      assert.equal(r.headers['content-type'], PROBLEM_JSON);
      assert.equal(problemType(r.body), 'api-key-invalid');
    }
    assert.equal((await withKey(t.app, key.secret, 'GET', '/api/v1/venues/kaz-a')).statusCode, 200);
  });

  test('a Bearer request needs no CSRF token; a cookie request without x-csrf-token is refused', async () => {
    const key = await makeKey('kaz-a', ['place:write']);
    const bearer = await withKey(t.app, key.secret, 'PATCH', '/api/v1/venues/kaz-a', { postal_code: '97436' });
    assert.equal(bearer.statusCode, 200, bearer.body);
    const before = await countKeys();
    const noToken = await admin.request({
      method: 'POST',
      url: '/api/v1/venues/kaz-a/api-keys',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'csrf', scopes: ['place:read'] }),
    });
    assert.equal(noToken.statusCode, 403);
    assert.equal(problemType(noToken.body), 'csrf');
    const forged = await admin.api(
      'POST',
      '/api/v1/venues/kaz-a/api-keys',
      { name: 'csrf', scopes: ['place:read'] },
      { 'x-csrf-token': 'forged' },
    );
    assert.equal(forged.statusCode, 403);
    assert.equal(await countKeys(), before);
    const patch = await admin.request({
      method: 'PATCH',
      url: '/api/v1/venues/kaz-a',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ city: 'CSRF' }),
    });
    assert.equal(patch.statusCode, 403);
    assert.notEqual((await placeRow('kaz-a')).city, 'CSRF');
  });
});
