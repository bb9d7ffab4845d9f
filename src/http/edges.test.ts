import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';
import { countRows } from '../../test/testDatabase.ts';

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
    countRows(t.db, table);
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

describe('the OpenAPI document says what the server answers', () => {
  interface Operation {
    parameters?: { in: string }[];
    requestBody?: unknown;
    responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  }
  const operations = async () => {
    const doc = (await t.app.inject('/api/openapi.json')).json() as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
    };
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    return { doc, ops };
  };

  test('every error status is documented as application/problem+json with the Problem schema', async () => {
    const { doc, ops } = await operations();
    assert.ok(doc.components.schemas?.Problem?.properties?.type, 'a Problem component');
    let errors = 0;
    for (const { path, method, op } of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        errors++;
        assert.deepEqual(
          Object.keys(response.content ?? {}),
          ['application/problem+json'],
          `${method} ${path} ${status}`,
        );
        // The shared Problem, or a route's own extension of it (the till adds the amounts it shows).
        const schema = response.content!['application/problem+json']!.schema as {
          $ref?: string;
          required?: string[];
        };
        if (schema.$ref) assert.equal(schema.$ref, '#/components/schemas/Problem', `${method} ${path} ${status}`);
        else
          for (const field of ['type', 'title', 'status', 'detail'])
            assert.ok(schema.required?.includes(field), `${method} ${path} ${status}: ${field}`);
      }
    }
    assert.ok(errors > ops.length * 4, `${errors} error responses for ${ops.length} operations`);
  });

  test('every operation documents the statuses any route of its kind can answer', async () => {
    const { ops } = await operations();
    assert.ok(ops.length > 50, `${ops.length} operations`);
    for (const { path, method, op } of ops) {
      const statuses = new Set(Object.keys(op.responses).map(Number));
      const expect = [400, 401, 500, 503];
      if (path.includes('{')) expect.push(404, 414, 422);
      if ((op.parameters ?? []).some((p) => p.in === 'query') || op.requestBody) expect.push(422);
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) expect.push(403, 413, 415);
      for (const status of expect) assert.ok(statuses.has(status), `${method} ${path} documents ${status}`);
    }
    const login = ops.find((o) => o.path === '/api/v1/login-links' && o.method === 'POST')!;
    assert.ok(login.op.responses['429'], 'a rate-limited route documents 429');
  });

  test('an error answer is serialised by the documented problem schema, with its content type', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/venues/nope', headers: { 'accept-language': 'en' } });
    const p = problem(r, 404);
    assert.equal(p.type, `${t.config.baseUrl}/problems/not-found`);
  });
});
