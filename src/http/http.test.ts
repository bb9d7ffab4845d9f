import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';
import { catalogueKeys, translate } from '../i18n/i18n.ts';

let t: TestNode;
let member: Client;
before(async () => {
  t = await createTestNode({ bodyLimitBytes: 2048 });
  member = await t.loginAs('plumber@example.org');
});
after(() => t.close());

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

/** Asserts the RFC 9457 shape and returns the problem. */
function problem(
  response: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  assert.equal(response.statusCode, status);
  assert.equal(response.headers['content-type'], PROBLEM_JSON);
  const p = response.json() as Record<string, unknown>;
  assert.equal(p.type, `${t.config.baseUrl}/problems/${code}`);
  assert.equal(p.status, status);
  assert.equal(typeof p.title, 'string');
  assert.equal(typeof p.detail, 'string');
  assert.ok(
    (p.title as string).length > 0 && !(p.title as string).startsWith('problems.'),
    `title translated: ${p.title}`,
  );
  assert.ok(!(p.detail as string).startsWith('problems.'), `detail translated: ${p.detail}`);
  return p;
}

/** The paths of the app's routes, read from Fastify's route tree. */
function routePaths(text: string): { path: string; methods: string[] }[] {
  const stack: string[] = [];
  const out: { path: string; methods: string[] }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.*?)(?:├── |└── )(.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    out.push({ path, methods: m[3]!.split(', ') });
  }
  return out;
}

describe('problems (RFC 9457)', () => {
  test('an unknown route is a 404 problem+json under /api and an HTML page elsewhere', async () => {
    const api = await t.app.inject('/api/v1/nothing-here?x=1');
    const p = problem(api, 404, 'not-found');
    assert.equal(p.instance, '/api/v1/nothing-here');
    const page = await t.app.inject('/nothing-here');
    assert.equal(page.statusCode, 404);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<h1>Page introuvable|<h1>[^<]+<\/h1>/);
    assert.ok(page.body.includes(translate('fr', 'problems.not-found.title')));
  });

  test('problems are in French by default, in English by Accept-Language or ?lang=en', async () => {
    const fr = problem(await t.app.inject('/api/v1/venues/no-such-venue'), 404, 'not-found');
    assert.equal(fr.title, translate('fr', 'problems.not-found.title'));
    assert.equal(fr.instance, '/api/v1/venues/no-such-venue');
    const en = problem(
      await t.app.inject({
        url: '/api/v1/venues/no-such-venue',
        headers: { 'accept-language': 'en-GB,en;q=0.9,fr;q=0.5' },
      }),
      404,
      'not-found',
    );
    assert.equal(en.title, translate('en', 'problems.not-found.title'));
    assert.notEqual(en.title, fr.title);
    const q = problem(await t.app.inject('/api/v1/venues/no-such-venue?lang=en'), 404, 'not-found');
    assert.equal(q.title, en.title);
    assert.equal(q.detail, en.detail);
  });

  test('every problem code has a page at /problems/<code>; an unknown code is 404', async () => {
    const codes = catalogueKeys('fr')
      .filter((k) => /^problems\.[a-z0-9-]+\.title$/.test(k))
      .map((k) => k.split('.')[1]!);
    assert.ok(codes.length >= 10 && codes.includes('validation') && codes.includes('internal'));
    for (const code of codes) {
      const r = await t.app.inject(`/problems/${code}?lang=en`);
      assert.equal(r.statusCode, 200, code);
      assert.ok(
        r.body.includes(
          translate('en', `problems.${code}.about`).replace(/'/g, '&#39;').replace(/"/g, '&quot;').split('&')[0]!,
        ),
        code,
      );
    }
    assert.equal((await t.app.inject('/problems/no-such-code')).statusCode, 404);
    assert.equal((await t.app.inject('/problems/..%2Fadmin')).statusCode, 404);
  });

  test('malformed JSON is 400 bad-request', async () => {
    const r = await member.request({
      method: 'POST',
      url: '/api/v1/venues',
      headers: { 'content-type': 'application/json', 'x-csrf-token': await member.token() },
      payload: '{"slug": "x",',
    });
    problem(r, 400, 'bad-request');
  });

  test('a body over REZO_BODY_LIMIT_BYTES is 413, as JSON and as a form', async () => {
    const big = { slug: 'big-venue', name: 'Big', description: 'x'.repeat(3000) };
    problem(await member.api('POST', '/api/v1/venues', big), 413, 'payload-too-large');
    const form = await member.postForm('/venues/new', { slug: 'big-form', name: 'x'.repeat(3000) });
    assert.equal(form.statusCode, 413);
    assert.equal(
      await t.db.selectFrom('places').select('id').where('slug', 'in', ['big-venue', 'big-form']).executeTakeFirst(),
      undefined,
    );
  });

  test('a content type the route does not read is 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'text/csv; charset=utf-8']) {
      const r = await member.request({
        method: 'POST',
        url: '/api/v1/venues',
        headers: { 'content-type': type, 'x-csrf-token': await member.token() },
        payload: 'slug=x',
      });
      problem(r, 415, 'unsupported-media-type');
    }
  });

  test('schema validation errors are 422 with errors[{field, code, message}] in the request language', async () => {
    const r = await member.api('POST', '/api/v1/venues?lang=en', { slug: 42, extra: true });
    const p = problem(r, 422, 'validation');
    const errors = p.errors as { field: string; code: string; message: string }[];
    assert.ok(Array.isArray(errors));
    const byField = new Map(errors.map((e) => [e.field, e]));
    assert.equal(byField.get('slug')?.code, 'type');
    assert.equal(byField.get('name')?.code, 'required');
    assert.equal(byField.get('name')?.message, translate('en', 'fields.required'));
    assert.equal(byField.get('extra')?.code, 'unknown-field');
    for (const e of errors) assert.ok(!e.message.startsWith('fields.'), `message translated: ${e.message}`);
    // Rules of the use case itself come back in the same shape.
    const rule = await member.api('POST', '/api/v1/venues', { slug: 'Not A Slug!', name: 'Ok' });
    const q = problem(rule, 422, 'validation');
    assert.ok((q.errors as { field: string }[]).some((e) => e.field === 'slug'));
  });

  test('query strings are read as text that may be a number; JSON bodies are not coerced', async () => {
    const ok = await t.app.inject('/api/v1/venues?limit=2');
    assert.equal(ok.statusCode, 200, ok.body);
    const bad = problem(await t.app.inject('/api/v1/venues?limit=many'), 422, 'validation');
    assert.deepEqual(
      (bad.errors as { field: string; code: string }[]).map((e) => [e.field, e.code]),
      [['limit', 'type']],
    );
    const range = problem(await t.app.inject('/api/v1/venues?limit=0'), 422, 'validation');
    assert.deepEqual(
      (range.errors as { field: string; code: string }[]).map((e) => [e.field, e.code]),
      [['limit', 'range']],
    );
    const body = problem(await member.api('POST', '/api/v1/venues', { slug: 'typed', name: 12 }), 422, 'validation');
    assert.deepEqual(
      (body.errors as { field: string; code: string }[]).map((e) => [e.field, e.code]),
      [['name', 'type']],
    );
  });

  test('a session request without x-csrf-token is refused (403 csrf)', async () => {
    const r = await member.request({
      method: 'POST',
      url: '/api/v1/venues',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ slug: 'no-csrf', name: 'No' }),
    });
    problem(r, 403, 'csrf');
    // Checked before the schema: a forged request gets no feedback on its body.
    const invalid = await member.request({
      method: 'POST',
      url: '/api/v1/venues',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ extra: 1 }),
    });
    problem(invalid, 403, 'csrf');
  });
});

describe('headers, cookies and language', () => {
  test('pages carry the security headers; the session cookie is HttpOnly and SameSite=Lax, not Secure over http', async () => {
    const page = await member.get('/');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(page.headers['strict-transport-security'], undefined);
    const api = await t.app.inject('/api/v1/venues');
    assert.equal(api.headers['x-content-type-options'], 'nosniff');
    const c = t.client();
    const login = await c.get('/login');
    const csrf = (login.cookies as { name: string; httpOnly?: boolean; sameSite?: string; secure?: boolean }[]).find(
      (x) => x.name === 'rezo_csrf',
    );
    assert.ok(csrf);
    assert.equal(csrf.httpOnly, true);
    assert.equal(csrf.sameSite, 'Lax');
    assert.notEqual(csrf.secure, true);
  });

  test('over https the cookies are Secure and HSTS is sent', async () => {
    const s = await createTestNode({ baseUrl: 'https://rezo.example.org' });
    try {
      const c = s.client();
      await c.postForm('/login', { email: 'secure@example.org' });
      const link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await s.lastMailTo('secure@example.org'))!.text)![0];
      assert.match((await s.lastMailTo('secure@example.org'))!.text, /https:\/\/rezo\.example\.org\/login\//);
      const done = await c.postForm(link, {});
      assert.equal(done.statusCode, 303);
      const session = (
        done.cookies as { name: string; httpOnly?: boolean; sameSite?: string; secure?: boolean }[]
      ).find((x) => x.name === 'rezo_session');
      assert.ok(session);
      assert.equal(session.secure, true);
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal(done.headers['strict-transport-security'], 'max-age=15552000');
    } finally {
      await s.close();
    }
  });

  test('the language switch link sets a cookie that later requests follow', async () => {
    const c = t.client();
    const fr = await c.get('/login', { 'accept-language': 'fr' });
    assert.match(fr.body, /<html lang="fr">/);
    assert.match(fr.body, /<a href="\/login\?lang=en" hreflang="en" lang="en">/);
    const en = await c.get('/login?lang=en', { 'accept-language': 'fr' });
    assert.match(en.body, /<html lang="en">/);
    const cookie = (en.cookies as { name: string; value: string; httpOnly?: boolean; maxAge?: number }[]).find(
      (x) => x.name === 'rezo_lang',
    );
    assert.equal(cookie?.value, 'en');
    assert.ok((cookie?.maxAge ?? 0) > 86400 * 300, 'remembered for a year');
    assert.match(en.body, /<a href="\/login\?lang=fr" hreflang="fr" lang="fr">/);
    const later = await c.get('/', { 'accept-language': 'fr' });
    assert.match(later.body, /<html lang="en">/);
    // An unsupported ?lang is ignored, not stored.
    const de = await t.client().get('/?lang=de', { 'accept-language': 'en' });
    assert.match(de.body, /<html lang="en">/);
    assert.equal(
      (de.cookies as { name: string }[]).some((x) => x.name === 'rezo_lang'),
      false,
    );
  });

  test('the stylesheet is served as CSS', async () => {
    const r = await t.app.inject('/static/style.css');
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'text/css; charset=utf-8');
    assert.ok(r.body.length > 100);
  });
});

describe('OpenAPI', () => {
  test('/api/openapi.json is an OpenAPI 3 document with every /api/v1 route, its responses and the security schemes', async () => {
    const r = await t.app.inject('/api/openapi.json');
    assert.equal(r.statusCode, 200);
    const doc = r.json() as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.ok(doc.info.title && doc.info.version);
    assert.ok(doc.components.securitySchemes.apiKey);
    assert.ok(doc.components.securitySchemes.session);
    const routes = routePaths(t.app.printRoutes({ commonPrefix: false })).filter((x) => x.path.startsWith('/api/v1/'));
    assert.ok(routes.length >= 8, `found ${routes.length} API routes`);
    for (const { path, methods } of routes) {
      const openapiPath = path.replace(/:(\w+)/g, '{$1}');
      const item = doc.paths[openapiPath];
      assert.ok(item, `${openapiPath} is in the OpenAPI document`);
      for (const method of methods.filter((m) => m !== 'HEAD')) {
        const operation = item[method.toLowerCase()];
        assert.ok(operation, `${method} ${openapiPath} is documented`);
        assert.ok(
          operation.responses && Object.keys(operation.responses).length > 0,
          `${method} ${openapiPath} has responses`,
        );
      }
    }
    // Nothing outside the API is published.
    assert.ok(
      Object.keys(doc.paths).every((p) => p.startsWith('/api/v1/')),
      Object.keys(doc.paths).join(', '),
    );
  });

  test('/api/docs answers 200', async () => {
    let r = await t.app.inject('/api/docs');
    if (r.statusCode >= 300 && r.statusCode < 400)
      r = await t.app.inject(String(r.headers.location).replace(/^\.\//, '/api/docs/'));
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /swagger/i);
  });
});

describe('unexpected errors', () => {
  test('a 500 never shows a stack trace or the error, in JSON and in HTML', async () => {
    const s = await createTestNode();
    try {
      await s.testDatabase.database.close();
      const api = await s.app.inject('/api/v1/venues?lang=en');
      assert.equal(api.statusCode, 500);
      assert.equal(api.headers['content-type'], PROBLEM_JSON);
      const p = api.json() as Record<string, unknown>;
      assert.equal(p.type, `${s.config.baseUrl}/problems/internal`);
      assert.deepEqual(Object.keys(p).sort(), ['detail', 'instance', 'status', 'title', 'type']);
      assert.equal(p.detail, translate('en', 'problems.internal.detail'));
      const page = await s.app.inject('/');
      assert.equal(page.statusCode, 500);
      for (const body of [api.body, page.body]) {
        assert.doesNotMatch(body, /\bat \S+ \(|\.ts:\d+|node_modules|stack|PGlite|closed/i);
      }
    } finally {
      await s.close();
    }
  });
});
