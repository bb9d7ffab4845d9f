import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';

/**
 * Each venue's settings, team and keys belong to its admins: an admin of another venue, or a
 * member of the venue with a lesser role, is refused on every page and endpoint, and nothing moves.
 */

const UPLOAD_LIMIT_BYTES = 2048;
let t: TestNode;
let adminA: Client;
let adminB: Client;
const ids: Record<string, string> = {};

before(async () => {
  t = await createTestNode({ operators: ['operator@example.org'], uploadLimitBytes: UPLOAD_LIMIT_BYTES });
  adminA = await t.loginAs('admin-a@example.org');
  adminB = await t.loginAs('admin-b@example.org');
  for (const [c, slug] of [
    [adminA, 'venue-a'],
    [adminB, 'venue-b'],
  ] as const) {
    const r = await c.api('POST', '/api/v1/venues', { slug, name: slug.toUpperCase() });
    assert.equal(r.statusCode, 201, r.body);
    const key = await c.api('POST', `/api/v1/venues/${slug}/api-keys`, { name: 'site', scopes: ['place:read'] });
    assert.equal(key.statusCode, 201, key.body);
    ids[`key-${slug}`] = key.json().key.id;
  }
  for (const role of ['editor', 'cashier', 'door']) {
    const r = await adminA.api('POST', '/api/v1/venues/venue-a/team', { email: `${role}-a@example.org`, role });
    assert.equal(r.statusCode, 201, r.body);
  }
  for (const p of await t.db.selectFrom('people').select(['id', 'email']).execute()) ids[p.email] = p.id;
});
after(() => t.close());

/** A tiny valid PNG header: enough for the sniffer, so a refusal can only come from permissions. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108020000009077', 'hex');

/** Everything an admin may do on a venue's administration, by page and by API. */
function adminActions(
  slug: string,
  memberId: string,
  keyId: string,
): [string, (c: Client) => Promise<LightMyRequestResponse>][] {
  const admin = `/venues/${slug}/admin`;
  const api = `/api/v1/venues/${slug}`;
  return [
    ['settings page', (c) => c.get(admin)],
    ['settings form', (c) => c.postForm(admin, { name: 'Taken over' })],
    [
      'logo upload',
      (c) =>
        c.postMultipart(`${admin}/images/logo`, {}, { logo: { filename: 'x.png', type: 'image/png', bytes: PNG } }),
    ],
    [
      'logo upload over the limit',
      (c) =>
        c.postMultipart(
          `${admin}/images/logo`,
          {},
          {
            logo: {
              filename: 'x.png',
              type: 'image/png',
              bytes: Buffer.concat([PNG, Buffer.alloc(UPLOAD_LIMIT_BYTES)]),
            },
          },
        ),
    ],
    ['team page', (c) => c.get(`${admin}/team`)],
    ['invite form', (c) => c.postForm(`${admin}/team`, { email: 'intruder@example.org', role: 'admin' })],
    ['role form', (c) => c.postForm(`${admin}/team/${memberId}/role`, { role: 'door' })],
    ['remove form', (c) => c.postForm(`${admin}/team/${memberId}/remove`, {})],
    ['keys page', (c) => c.get(`${admin}/keys`)],
    ['new key form', (c) => c.postForm(`${admin}/keys`, { name: 'stolen', scopes: 'place:write' })],
    ['revoke form', (c) => c.postForm(`${admin}/keys/${keyId}/revoke`, {})],
    ['PATCH venue', (c) => c.api('PATCH', api, { name: 'Taken over' })],
    ['GET team', (c) => c.api('GET', `${api}/team`)],
    ['POST team', (c) => c.api('POST', `${api}/team`, { email: 'intruder@example.org', role: 'admin' })],
    ['PATCH member', (c) => c.api('PATCH', `${api}/team/${memberId}`, { role: 'door' })],
    ['DELETE member', (c) => c.api('DELETE', `${api}/team/${memberId}`)],
    ['GET keys', (c) => c.api('GET', `${api}/api-keys`)],
    ['POST key', (c) => c.api('POST', `${api}/api-keys`, { name: 'stolen', scopes: ['place:write'] })],
    ['DELETE key', (c) => c.api('DELETE', `${api}/api-keys/${keyId}`)],
  ];
}

/** Everything that belongs to a venue, to prove a refused request changed nothing. */
async function snapshot(slug: string) {
  const place = await t.db.selectFrom('places').selectAll().where('slug', '=', slug).executeTakeFirstOrThrow();
  const byPlace = {
    members: t.db.selectFrom('place_members'),
    keys: t.db.selectFrom('api_keys'),
    media: t.db.selectFrom('media'),
    audit: t.db.selectFrom('audit_log'),
  };
  return {
    place,
    members: await byPlace.members.selectAll().where('place_id', '=', place.id).execute(),
    keys: await byPlace.keys.selectAll().where('place_id', '=', place.id).execute(),
    media: await byPlace.media.selectAll().where('place_id', '=', place.id).execute(),
    audit: await byPlace.audit.selectAll().where('place_id', '=', place.id).execute(),
    people: await t.db.selectFrom('people').select('email').orderBy('email').execute(),
  };
}

async function assertAllRefused(c: Client, slug: string, memberId: string, keyId: string) {
  const before = await snapshot(slug);
  for (const [label, run] of adminActions(slug, memberId, keyId)) {
    const r = await run(c);
    assert.equal(r.statusCode, 403, `${label}: ${r.statusCode} ${r.body.slice(0, 200)}`);
    if (
      label.startsWith('GET') ||
      label.startsWith('POST') ||
      label.startsWith('PATCH') ||
      label.startsWith('DELETE')
    ) {
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8', label);
      assert.equal(r.json().type, `${t.config.baseUrl}/problems/forbidden`, label);
    }
  }
  assert.deepEqual(await snapshot(slug), before);
}

describe('an admin of another venue', () => {
  test('is refused on every page and endpoint of venue B, and B is unchanged', async () => {
    await assertAllRefused(adminA, 'venue-b', ids['admin-b@example.org']!, ids['key-venue-b']!);
  });

  test('still sees B’s public page, without the admin link', async () => {
    const r = await adminA.get('/venues/venue-b');
    assert.equal(r.statusCode, 200);
    assert.ok(!r.body.includes('/venues/venue-b/admin'));
  });
});

describe('members without the admin role', () => {
  for (const role of ['editor', 'cashier', 'door']) {
    test(`the ${role} of A cannot open or change A’s settings, team or keys`, async () => {
      const c = await t.loginAs(`${role}-a@example.org`);
      await assertAllRefused(c, 'venue-a', ids['admin-a@example.org']!, ids['key-venue-a']!);
    });
  }
});

describe('operators', () => {
  test('may open and change any venue’s settings, team and keys', async () => {
    const op = await t.loginAs('operator@example.org');
    for (const path of ['', '/team', '/keys'])
      assert.equal((await op.get(`/venues/venue-b/admin${path}`)).statusCode, 200, path);
    const r = await op.api('PATCH', '/api/v1/venues/venue-b', { city: 'Saint-Pierre' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await op.api('GET', '/api/v1/venues/venue-b/team')).statusCode, 200);
    assert.equal((await op.api('GET', '/api/v1/venues/venue-b/api-keys')).statusCode, 200);
    const operator = await t.db
      .selectFrom('people')
      .select('id')
      .where('email', '=', 'operator@example.org')
      .executeTakeFirstOrThrow();
    const audit = await t.db
      .selectFrom('audit_log')
      .select('actor_person_id')
      .where('action', '=', 'place.updated')
      .execute();
    assert.deepEqual(audit, [{ actor_person_id: operator.id }]);
  });
});
