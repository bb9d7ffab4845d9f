import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { type Client, type TestNode, useTestNode } from '../../test/harness.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import { createLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { translate } from '../i18n/i18n.ts';
import { makeClaimTicket, readClaimTicket } from './claimTicket.ts';
import { linkCard } from './linkCard.ts';
import { TOKEN_LOOKUPS_PER_MINUTE } from './routes.ts';
import { TokenLookupLimiter } from './rateLimit.ts';
import { makeCards } from './testFixtures.ts';

let t: TestNode;
let w: LedgerWorld;
let ipCounter = 0;
// Behind a proxy: each test speaks from its own address, so the token limiter does not mix them.
useTestNode(
  async (node) => {
    t = node;
    w = await createLedgerWorld(t.db);
  },
  { trustProxy: true },
);

const newIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
const get = (c: Client, url: string, ip: string, lang = 'en') =>
  c.get(url, { 'x-forwarded-for': ip, 'accept-language': lang });
async function post(c: Client, url: string, ip: string, form: Record<string, string> = {}) {
  const params = new URLSearchParams({ _csrf: await c.token(), ...form });
  return c.request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    payload: params.toString(),
  });
}
const balance = async (id: string) =>
  (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance;

describe('/cards/<token>', () => {
  test('an anonymous card shows its number, status, balances and recent history, in English and French', async () => {
    const [card] = await makeCards(t.db, 1);
    const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card!.id });
    await w.fund(account.id, 1250);
    const c = t.client();
    const ip = newIp();
    const en = await get(c, `/cards/${card!.token}`, ip);
    assert.equal(en.statusCode, 200);
    assert.match(en.body, new RegExp(`Card ${card!.number}`));
    assert.match(en.body, />Active</);
    assert.match(en.body, /12\.50/);
    assert.match(en.body, /Top-up/);
    assert.match(en.body, /Log in to link this card/);
    assert.equal(en.headers['x-robots-tag'], 'noindex');
    const fr = await get(c, `/cards/${card!.token}?lang=fr`, ip, 'fr');
    assert.match(fr.body, new RegExp(`Carte ${card!.number}`));
    assert.match(fr.body, /12,50/);
    assert.match(fr.body, /Se connecter pour lier cette carte/);
    // The login link's return path carries a claim ticket, never the QR token.
    assert.ok(!/\/login\?next=[^"]*/.exec(en.body)![0].includes(card!.token));
  });

  test('an unknown or malformed token, a UID or a printed number all answer the same 404 as an unknown page', async () => {
    const [card] = await makeCards(t.db, 1);
    const c = t.client();
    const ip = newIp();
    const reference = await get(c, '/no-such-page-at-all', ip);
    assert.equal(reference.statusCode, 404);
    const strip = (body: string) =>
      body
        .replace(/<head>[\s\S]*<\/head>/, '')
        .replace(/href="[^"]*\?lang=[^"]*"/g, '')
        .replace(/value="[^"]*"/g, '');
    for (const url of [
      `/cards/${card!.token}x`,
      `/cards/${'A'.repeat(43)}`,
      '/cards/short',
      `/cards/${card!.uid}`,
      `/cards/${encodeURIComponent(card!.number)}`,
      `/cards/${card!.id}`,
    ]) {
      const r = await get(c, url, ip);
      assert.equal(r.statusCode, 404, url);
      assert.equal(strip(r.body), strip(reference.body), url);
      assert.ok(!strip(r.body).includes(card!.number), url);
    }
    // Linking by UID or number gives nothing either.
    const someone = await t.loginAs(`stranger-${ipCounter}@example.org`);
    for (const key of [card!.uid, card!.number, card!.id])
      assert.equal((await post(someone, `/cards/${encodeURIComponent(key)}/link`, ip)).statusCode, 404);
    assert.equal(
      (await t.db.selectFrom('cards').select('person_id').where('id', '=', card!.id).executeTakeFirstOrThrow())
        .person_id,
      null,
    );
  });

  test(`token lookups are limited to ${TOKEN_LOOKUPS_PER_MINUTE} a minute per client address (429), valid or not`, async () => {
    const [card] = await makeCards(t.db, 1);
    const c = t.client();
    const ip = newIp();
    for (let i = 0; i < TOKEN_LOOKUPS_PER_MINUTE; i++) {
      const r = await get(c, i % 2 ? `/cards/${card!.token}` : `/cards/wrong-token-${i}-aaaaaaaaaa`, ip);
      assert.equal(r.statusCode, i % 2 ? 200 : 404);
    }
    const refused = await get(c, `/cards/${card!.token}`, ip);
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.ok(!refused.body.includes(card!.number));
    const someone = await t.loginAs(`limited-${ipCounter}@example.org`);
    assert.equal((await post(someone, `/cards/${card!.token}/link`, ip)).statusCode, 429);
    assert.equal(
      (await t.db.selectFrom('cards').select('person_id').where('id', '=', card!.id).executeTakeFirstOrThrow())
        .person_id,
      null,
    );
    // Another address is not affected.
    assert.equal((await get(c, `/cards/${card!.token}`, newIp())).statusCode, 200);
  });

  test('the limiter counts per key and forgets a finished window', () => {
    let now = 0;
    const limiter = new TokenLookupLimiter(3, 60_000, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a')),
      [true, true, true, false],
    );
    assert.equal(limiter.take('b'), true);
    assert.equal(limiter.retryAfter('a'), 60);
    now = 60_000;
    assert.equal(limiter.take('a'), true);
  });

  test('a linked card shows no balance to others; its holder sees their wallet', async () => {
    const [card] = await makeCards(t.db, 1);
    const holder = await ensurePerson(t.db, `holder-${ipCounter}@example.org`, 'en');
    const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card!.id });
    await w.fund(account.id, 4321);
    await linkCard(t.db, personActor(holder.id), { cardId: card!.id });
    const ip = newIp();
    const anonymous = await get(t.client(), `/cards/${card!.token}`, ip);
    assert.equal(anonymous.statusCode, 200);
    assert.match(anonymous.body, /linked to a wallet/);
    assert.ok(!anonymous.body.includes('43.21'));
    const stranger = await t.loginAs(`other-${ipCounter}@example.org`);
    const seen = await get(stranger, `/cards/${card!.token}`, ip);
    assert.ok(!seen.body.includes('43.21'));
    assert.ok(!seen.body.includes('Link to my account'));
    const mine = await t.loginAs(holder.email);
    const page = await get(mine, `/cards/${card!.token}`, ip);
    assert.match(page.body, /linked to your account/);
    assert.match(page.body, /43\.21/);
    assert.match(page.body, /Merge/);
  });
});

describe('linking from the card page', () => {
  test('a logged-in person links the card with one button: balances move, the card is in "My cards"', async () => {
    const [card] = await makeCards(t.db, 1);
    const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card!.id });
    await w.fund(account.id, 800);
    const email = `linker-${ipCounter}@example.org`;
    const c = await t.loginAs(email);
    const ip = newIp();
    const page = await get(c, `/cards/${card!.token}`, ip);
    assert.match(page.body, new RegExp(`action="/cards/${card!.token}/link"`));
    const done = await post(c, `/cards/${card!.token}/link`, ip);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/account/cards?linked=1');
    const person = (await t.db.selectFrom('people').select('id').where('email', '=', email).executeTakeFirstOrThrow())
      .id;
    const wallet = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'person', ownerRef: person });
    assert.equal(await balance(wallet.id), 800);
    assert.equal(await balance(account.id), 0);
    const mine = await c.get('/account/cards?linked=1&lang=en');
    assert.match(mine.body, new RegExp(card!.number));
    assert.match(mine.body, /pays from your wallet/);
    // Again: nothing more happens; someone else: 409.
    assert.equal((await post(c, `/cards/${card!.token}/link`, ip)).statusCode, 303);
    assert.equal(await balance(wallet.id), 800);
    const other = await t.loginAs(`late-${ipCounter}@example.org`);
    const conflict = await post(other, `/cards/${card!.token}/link`, ip);
    assert.equal(conflict.statusCode, 409);
    assert.match(conflict.body, /Carte déjà liée/);
    // Without the CSRF token: refused.
    const forged = await c.request({
      method: 'POST',
      url: `/cards/${card!.token}/link`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      payload: '',
    });
    assert.equal(forged.statusCode, 403);
  });

  test('someone not logged in logs in by mail and comes back to a claim page, then links', async () => {
    const [card] = await makeCards(t.db, 1);
    const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card!.id });
    await w.fund(account.id, 275);
    const c = t.client();
    const ip = newIp();
    const page = await get(c, `/cards/${card!.token}`, ip);
    const next = decodeURIComponent(/href="\/login\?next=([^"]+)"/.exec(page.body)![1]!);
    assert.match(next, /^\/cards\/claim\//);
    const email = `newcomer-${ipCounter}@example.org`;
    await c.get(`/login?next=${encodeURIComponent(next)}`);
    await c.postForm('/login', { email, next });
    const stored = await t.db
      .selectFrom('login_tokens')
      .select('next_path')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    assert.equal(stored.next_path, next);
    assert.ok(!stored.next_path!.includes(card!.token), 'the QR token is not stored with the login link');
    const link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo(email))!.text)![0];
    await c.get(link);
    const loggedIn = await c.postForm(link, {});
    assert.equal(loggedIn.statusCode, 303);
    // A new account is first asked for a name; an existing one comes straight back. Either way the claim page works.
    const claim = await c.get(next);
    assert.equal(claim.statusCode, 200);
    assert.match(claim.body, new RegExp(card!.number));
    const done = await c.postForm(next, {});
    assert.equal(done.statusCode, 303);
    assert.equal(await balance(account.id), 0);
    const person = (await t.db.selectFrom('people').select('id').where('email', '=', email).executeTakeFirstOrThrow())
      .id;
    assert.equal(
      (await t.db.selectFrom('cards').select('person_id').where('id', '=', card!.id).executeTakeFirstOrThrow())
        .person_id,
      person,
    );
  });

  test('claim tickets: forged, altered or expired ones are a 404', async () => {
    const [card] = await makeCards(t.db, 1);
    const secret = 'a-secret';
    const ticket = makeClaimTicket(secret, card!.id, Date.now());
    assert.equal(readClaimTicket(secret, ticket), card!.id);
    assert.equal(readClaimTicket('other-secret', ticket), null);
    assert.equal(
      readClaimTicket(
        secret,
        ticket.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 1}.`),
      ),
      null,
    );
    assert.equal(readClaimTicket(secret, makeClaimTicket(secret, card!.id, Date.now() - 3 * 3600_000)), null);
    const c = await t.loginAs(`forger-${ipCounter}@example.org`);
    assert.equal((await c.get(`/cards/claim/${ticket}`)).statusCode, 404, "signed with another secret than the node's");
    assert.equal((await c.postForm(`/cards/claim/${card!.id}.99999999999.${'A'.repeat(43)}`, {})).statusCode, 404);
    assert.equal(
      (await t.db.selectFrom('cards').select('person_id').where('id', '=', card!.id).executeTakeFirstOrThrow())
        .person_id,
      null,
    );
  });
});

describe('catalogues', () => {
  test('the problems of the cards module read in both languages', () => {
    for (const lang of ['fr', 'en'] as const) {
      for (const code of ['card-already-linked', 'card-blocked']) {
        for (const part of ['title', 'detail', 'about'])
          assert.notEqual(translate(lang, `problems.${code}.${part}`), `problems.${code}.${part}`);
      }
      assert.match(translate(lang, 'problems.card-already-linked.detail', { number: 'N-1' }), /N-1/);
    }
    assert.notEqual(
      translate('fr', 'cards.import.uid', { value: 'x' }),
      translate('en', 'cards.import.uid', { value: 'x' }),
    );
  });

  test('the audit has the link', async () => {
    const n = await sql<{ n: string }>`select count(*) as n from audit_log where action = 'card.linked'`.execute(t.db);
    assert.ok(Number(n.rows[0]!.n) >= 1);
  });
});
