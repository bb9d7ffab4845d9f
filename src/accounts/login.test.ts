import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, type TestNode, useTestNode } from '../../test/harness.ts';
import { configureLocks, takeLocks } from '../db/locks.ts';
import { consumeLoginLink } from './consumeLoginLink.ts';
import { LOGIN_LINKS_PER_WINDOW, requestLoginLink, safeNextPath } from './requestLoginLink.ts';
import { DomainError } from '../shared/errors.ts';
import type { Problem } from '../http/problems.ts';

let t: TestNode;
useTestNode((node) => (t = node), { operators: ['boss@example.org'] });

const tokenOf = (url: string) => url.split('/login/')[1]!;

describe('login by e-mailed link', () => {
  test('the link logs in once, creates the account and sets an HttpOnly SameSite session cookie', async () => {
    const c = t.client();
    const sent = await c.postForm('/login', { email: 'New.Person@Example.org' });
    assert.equal(sent.statusCode, 200);
    assert.match(sent.body, /new\.person@example\.org/);
    const mail = await t.lastMailTo('new.person@example.org');
    assert.ok(mail, 'a mail is in the outbox');
    assert.equal(mail.language, 'fr');
    assert.match(mail.subject, /lien de connexion/);
    const link = /\/login\/([A-Za-z0-9_-]{43})/.exec(mail.text)!;
    // Opening the link does not log in (mail scanners open links): it shows a button.
    const confirm = await c.get(link[0]);
    assert.equal(confirm.statusCode, 200);
    assert.equal(c.cookies.has('rezo_session'), false);
    const done = await c.postForm(link[0], {});
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/account?welcome=1');
    const cookie = (done.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string }[]).find(
      (x) => x.name === 'rezo_session',
    );
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    const me = await c.api('GET', '/api/v1/me');
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().email, 'new.person@example.org');
    // The token is stored hashed: its plain value is nowhere in the table.
    const rows = await t.db.selectFrom('login_tokens').select('token_hash').execute();
    assert.ok(rows.every((r) => !Buffer.from(r.token_hash).toString('utf8').includes(link[1]!)));
    // Used again: refused with a clear message.
    const again = await t.client().postForm(link[0], {});
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /déjà servi/);
  });

  test('an expired link is refused and says so', async () => {
    const { url } = await requestLoginLink(t.db, t.config, {
      email: 'late@example.org',
      language: 'en',
      sendMail: false,
    });
    await sql`update login_tokens set expires_at = now() - interval '1 second' where email = 'late@example.org'`.execute(
      t.db,
    );
    const c = t.client();
    const r = await c.postForm(url.replace(t.config.baseUrl, ''), {}, {});
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /expiré/);
    assert.equal(c.cookies.has('rezo_session'), false);
  });

  test('a forged or malformed token is refused', async () => {
    for (const token of ['x'.repeat(43), 'short', 'A'.repeat(42) + '!']) {
      await assert.rejects(
        consumeLoginLink(t.db, t.config, { token, language: 'fr' }),
        (e: unknown) => e instanceof DomainError && e.code === 'login-link-invalid',
      );
    }
    const r = await t.client().postForm(`/login/${'y'.repeat(43)}`, {});
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /pas valable/);
  });

  test('a token used by many requests at once logs in exactly one of them', async () => {
    const { url } = await requestLoginLink(t.db, t.config, {
      email: 'race@example.org',
      language: 'fr',
      sendMail: false,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => consumeLoginLink(t.db, t.config, { token: tokenOf(url), language: 'fr' })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const sessions = await t.db
      .selectFrom('sessions')
      .innerJoin('people', 'people.id', 'sessions.person_id')
      .where('people.email', '=', 'race@example.org')
      .select('token_hash')
      .execute();
    assert.equal(sessions.length, 1);
  });

  test('an address gets at most 5 links in 15 minutes; the sixth is refused and writes nothing', async () => {
    for (let i = 0; i < LOGIN_LINKS_PER_WINDOW; i++) {
      await requestLoginLink(t.db, t.config, { email: 'flood@example.org', language: 'fr' });
    }
    const c = t.client();
    const r = await c.postForm('/login', { email: 'flood@example.org' }, {});
    assert.equal(r.statusCode, 429);
    assert.match(r.body, /Trop de liens/);
    const n = await t.db
      .selectFrom('login_tokens')
      .where('email', '=', 'flood@example.org')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(n.n), LOGIN_LINKS_PER_WINDOW);
  });

  test('bad addresses get a field error in the page language, and no token', async () => {
    const before = await t.db
      .selectFrom('login_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const c = t.client();
    await c.get('/login?lang=en');
    for (const email of ['', 'not-an-email', 'a@b', 'x'.repeat(250) + '@example.org']) {
      const r = await c.postForm('/login', { email });
      assert.equal(r.statusCode, 422, email);
      assert.match(r.body, /aria-invalid="true"/);
      assert.match(r.body, email ? /not a valid e-mail address/ : /This field is required/);
    }
    const afterCount = await t.db
      .selectFrom('login_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(afterCount.n), Number(before.n));
  });

  test('the login form is refused without its CSRF token', async () => {
    const c = t.client();
    await c.get('/login');
    const r = await c.postForm('/login', { email: 'csrf@example.org' }, { csrf: false });
    assert.equal(r.statusCode, 403);
    const forged = await c.postForm('/login', { email: 'csrf@example.org' }, { csrf: 'forged-token' });
    assert.equal(forged.statusCode, 403);
    assert.equal(await t.lastMailTo('csrf@example.org'), undefined);
  });

  test('after login the person goes back where they were, never to another site', async () => {
    const c = t.client();
    await c.postForm('/login', { email: 'next@example.org', next: '/venues/new' });
    let link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('next@example.org'))!.text)![0];
    // Even the first login (a new account, no name yet) goes back to the intent, not to the welcome page.
    assert.equal((await c.postForm(link, {})).headers.location, '/venues/new');
    const c2 = t.client();
    await c2.postForm('/login', { email: 'next@example.org', next: '/venues/new' });
    link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('next@example.org'))!.text)![0];
    await t.db.updateTable('people').set({ name: 'Next' }).where('email', '=', 'next@example.org').execute();
    const r = await c2.postForm(link, {});
    assert.equal(r.headers.location, '/venues/new');
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const c3 = t.client();
      await c3.postForm('/login', { email: 'next2@example.org', next: evil });
      const l = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('next2@example.org'))!.text)![0];
      await t.db.updateTable('people').set({ name: 'N2' }).where('email', '=', 'next2@example.org').execute();
      const res = await c3.postForm(l, {});
      assert.ok(
        ['/account', '/account?welcome=1'].includes(String(res.headers.location)),
        `${evil} → ${res.headers.location}`,
      );
    }
  });

  test('a next path with control characters, a backslash or another origin falls back to the account page', async () => {
    // Browsers drop tabs and newlines from URLs: "/\t/evil.example/" is read as "//evil.example/".
    // Through the whole flow for two (the login form is rate-limited per client); the others below.
    const evil = ['/\t/evil.example/', '/\n/evil.example/'];
    await t.db
      .insertInto('people')
      .values({ id: '0190f3a0-0000-7000-8000-00000000ab01', email: 'next3@example.org', name: 'N3', language: 'fr' })
      .execute();
    for (const next of evil) {
      const c = t.client();
      const sent = await c.postForm('/login', { email: 'next3@example.org', next });
      assert.equal(sent.statusCode, 200, JSON.stringify(next));
      const l = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('next3@example.org'))!.text)![0];
      const res = await c.postForm(l, {});
      assert.equal(res.statusCode, 303, `${JSON.stringify(next)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.equal(res.headers.location, '/account', JSON.stringify(next));
      assert.ok(c.cookies.has('rezo_session'));
      await t.db.deleteFrom('login_tokens').where('email', '=', 'next3@example.org').execute();
    }
    // The probe: the login page decodes ?next=/%09/evil.example/ into a tab, and drops it.
    const page = await t.client().get('/login?next=/%09/evil.example/');
    assert.match(page.body, /name="next" value=""/);
    // The API's login links check `next` the same way: nothing unsafe is stored.
    const c = t.client();
    const r = await c.api('POST', '/api/v1/login-links', { email: 'next3@example.org', next: '/\t/evil.example/' });
    assert.equal(r.statusCode, 202);
    const row = await t.db
      .selectFrom('login_tokens')
      .select('next_path')
      .where('email', '=', 'next3@example.org')
      .executeTakeFirstOrThrow();
    assert.equal(row.next_path, null);
  });

  test('a stored unsafe next path never spends the link without logging in (no partial write)', async () => {
    // A link made before the check was strict: its next path holds a newline, which no Location header may carry.
    await t.db
      .insertInto('people')
      .values({ id: '0190f3a0-0000-7000-8000-00000000ab02', email: 'legacy@example.org', name: 'L', language: 'fr' })
      .execute();
    const { url } = await requestLoginLink(t.db, t.config, {
      email: 'legacy@example.org',
      language: 'fr',
      sendMail: false,
    });
    await t.db
      .updateTable('login_tokens')
      .set({ next_path: '/\n/evil.example/' })
      .where('email', '=', 'legacy@example.org')
      .execute();
    const c = t.client();
    const res = await c.postForm(url.replace(t.config.baseUrl, ''), {});
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/account');
    assert.ok(c.cookies.has('rezo_session'));
  });

  test('a safe next path is kept as it was sent, without its fragment', () => {
    for (const next of [
      '/venues/new',
      '/agenda?q=concert&page=2',
      '/venues/la-fabrik/admin',
      '/agenda?q=%C3%A9t%C3%A9',
    ]) {
      assert.equal(safeNextPath(next), next);
    }
    assert.equal(safeNextPath('/venues/new#top'), '/venues/new');
    for (const bad of [
      undefined,
      '',
      'venues',
      '//evil.example',
      '/\\evil.example',
      '/a\tb',
      '/../..//evil.example',
      '/caf\u00e9',
    ]) {
      assert.equal(safeNextPath(bad), null, JSON.stringify(bad));
    }
  });

  test('an address listed in REZO_OPERATORS becomes an operator at login', async () => {
    const c = await t.loginAs('boss@example.org');
    const me = await c.api('GET', '/api/v1/me');
    assert.equal(me.json().isOperator, true);
    const admin = await c.get('/admin');
    assert.equal(admin.statusCode, 200);
  });

  test('logout ends the session on the server', async () => {
    const c = await t.loginAs('bye@example.org');
    const token = c.cookies.get('rezo_session')!;
    const out = await c.postForm('/logout', {});
    assert.equal(out.statusCode, 303);
    const me = await t.app.inject({ url: '/api/v1/me', headers: { cookie: `rezo_session=${token}` } });
    assert.equal(me.statusCode, 401);
    assert.equal(me.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test('logging in again offers to end the other sessions; ending them logs out every other browser, not this one', async () => {
    const phone = await t.loginAs('two.devices@example.org');
    await t.db.updateTable('people').set({ name: 'Two' }).where('email', '=', 'two.devices@example.org').execute();
    const laptop = await t.loginAs('two.devices@example.org');
    const page = await laptop.get('/account?lang=en');
    assert.match(page.body, /logged in on 1 other device/);
    // The phone alone sees it too, from its side; the form ends the others only.
    const before = await t.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'account.sessions.ended')
      .executeTakeFirstOrThrow();
    const ended = await laptop.postForm('/account/sessions/end-others', {});
    assert.equal(ended.statusCode, 303);
    assert.equal((await phone.api('GET', '/api/v1/me')).statusCode, 401);
    assert.equal((await laptop.api('GET', '/api/v1/me')).statusCode, 200);
    const after = await laptop.get('/account?lang=en');
    assert.doesNotMatch(after.body, /other device/);
    const audits = await t.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'account.sessions.ended')
      .executeTakeFirstOrThrow();
    assert.equal(Number(audits.n), Number(before.n) + 1);
    // Without the form's CSRF token nothing ends.
    const third = await t.loginAs('two.devices@example.org');
    const forged = await third.postForm('/account/sessions/end-others', {}, { csrf: 'forged' });
    assert.equal(forged.statusCode, 403);
    assert.equal((await laptop.api('GET', '/api/v1/me')).statusCode, 200);
  });

  test(
    'an address whose lock another request holds past the lock timeout: 503 busy with Retry-After, nothing written',
    { skip: !onPostgres && 'needs PostgreSQL (concurrent connections)' },
    async () => {
      const email = 'busy@example.org';
      const previous = configureLocks({ timeoutMs: 150 });
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let held!: () => void;
      const isHeld = new Promise<void>((r) => (held = r));
      const holder = t.db.transaction().execute(async (trx) => {
        await takeLocks(trx, { space: 'login', keys: [email] });
        held();
        await released;
      });
      try {
        await isHeld;
        const r = await t.client().api('POST', '/api/v1/login-links', { email });
        assert.equal(r.statusCode, 503, r.body);
        assert.equal(r.headers['retry-after'], '1');
        const problem = r.json<Problem>();
        assert.match(problem.type, /\/problems\/busy$/);
        assert.equal(problem.status, 503);
      } finally {
        release();
        await holder;
        configureLocks(previous);
      }
      const rows = await t.db.selectFrom('login_tokens').select('email').where('email', '=', email).execute();
      assert.deepEqual(rows, []);
      // Once the lock is free, the same request goes through.
      assert.equal((await t.client().api('POST', '/api/v1/login-links', { email })).statusCode, 202);
    },
  );
});
