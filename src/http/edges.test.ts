import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';

let t: TestNode;
let member: Client;
before(async () => {
  t = await createTestNode();
  member = await t.loginAs('edges@example.org');
});
after(() => t.close());

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

function problem(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  assert.equal(response.statusCode, status, response.body.slice(0, 300));
  assert.equal(response.headers['content-type'], PROBLEM_JSON);
  const p = JSON.parse(response.body) as { type: string; status: number; title: string; detail: string };
  assert.equal(p.status, status);
  assert.ok(p.title && !p.title.startsWith('problems.'), p.title);
  return p;
}

/** Rows in the tables a refused request could have touched. */
async function counts() {
  const n = async (table: 'places' | 'login_tokens' | 'mail_outbox' | 'sessions' | 'audit_log') =>
    Number(
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    places: await n('places'),
    loginTokens: await n('login_tokens'),
    mail: await n('mail_outbox'),
    sessions: await n('sessions'),
    audit: await n('audit_log'),
  };
}

describe('characters PostgreSQL cannot store are refused at the edge', () => {
  test('a NUL byte in a path, a query or a body is a 400 invalid-characters problem, and nothing is written', async () => {
    const before = await counts();
    const venue = { slug: 'nul-venue', name: 'A\u0000B', city: 'Saint-Paul', timezone: 'Indian/Reunion' };
    for (const r of [
      await t.app.inject('/api/v1/venues/a%00b'),
      await t.app.inject('/api/v1/venues?q=a%00b'),
      await member.api('POST', '/api/v1/venues', venue),
      await member.api('POST', '/api/v1/venues', { ...venue, name: 'AB', ['x\u0000']: 1 }),
      await member.api('POST', '/api/v1/login-links', { email: 'nul@example.org', next: '/a\u0000' }),
    ]) {
      const p = problem(r, 400);
      assert.equal(p.type, `${t.config.baseUrl}/problems/invalid-characters`);
    }
    // Pages and forms: the problem in the page, in the person's language.
    for (const r of [
      await t.app.inject('/venues/a%00b'),
      await t.app.inject('/agenda?q=a%00b&lang=en'),
      await member.postForm('/login', { email: 'nul\u0000@example.org' }),
      await member.postForm('/login', { email: 'nul@example.org', next: '/a\u0000b' }),
    ]) {
      assert.equal(r.statusCode, 400, r.body.slice(0, 200));
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.match(r.body, /NUL/);
    }
    assert.deepEqual(await counts(), before);
  });

  test('a lone UTF-16 surrogate in a JSON body is refused instead of being stored as U+FFFD', async () => {
    const before = await counts();
    const r = await member.api('POST', '/api/v1/venues', {
      slug: 'surrogate-venue',
      name: 'A\ud800B',
      city: 'Saint-Paul',
      timezone: 'Indian/Reunion',
    });
    assert.equal(problem(r, 400).type, `${t.config.baseUrl}/problems/invalid-characters`);
    // A paired surrogate is an ordinary character (an emoji) and is kept.
    const ok = await member.api('POST', '/api/v1/venues', {
      slug: 'emoji-venue',
      name: 'Bar \ud83c\udf79',
      city: 'Saint-Paul',
      timezone: 'Indian/Reunion',
    });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().name, 'Bar 🍹');
    assert.equal((await counts()).places, before.places + 1);
  });
});

describe('malformed addresses get a problem, not the framework’s own body', () => {
  test('an invalid percent-encoding in the path is a 400 bad-request problem (JSON under /api, a page elsewhere)', async () => {
    for (const url of ['/api/v1/venues/%E0%A4%A', '/api/v1/venues/%zz', '/api/v1/venues/%ED%A0%80']) {
      const p = problem(await t.app.inject(url), 400);
      assert.equal(p.type, `${t.config.baseUrl}/problems/bad-request`);
    }
    const page = await t.app.inject({ url: '/venues/%zz', headers: { 'accept-language': 'en' } });
    assert.equal(page.statusCode, 400);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<html lang="en"/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
  });

  test('a path parameter longer than the router reads is a 414 problem', async () => {
    const p = problem(await t.app.inject(`/api/v1/venues/${'a'.repeat(5000)}`), 414);
    assert.equal(p.type, `${t.config.baseUrl}/problems/uri-too-long`);
  });
});
