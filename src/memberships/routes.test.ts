import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNodeWithStripe, type Client, type TestNode } from '../../test/harness.ts';
import type { FakeStripe } from '../../test/fakes/fakeStripe.ts';

let t: TestNode & { fake: FakeStripe };
let fake: FakeStripe;
let admin: Client;

before(async () => {
  t = await createTestNodeWithStripe();
  fake = t.fake;
  admin = await t.loginAs('admin@asso.example');
  const created = await admin.postForm('/venues/new', {
    slug: 'asso',
    name: 'Asso',
    modules: ['agenda', 'memberships'],
  });
  assert.equal(created.statusCode, 303);
  await t.db.updateTable('places').set({ stripe_account_id: 'acct_asso' }).where('slug', '=', 'asso').execute();
});
after(async () => {
  await t.close();
});

test('an admin creates a product, records a member, imports a CSV after its preview, and exports', async () => {
  const page = await admin.get('/venues/asso/admin/memberships');
  assert.equal(page.statusCode, 200);
  const bad = await admin.postForm('/venues/asso/admin/memberships/products', {
    name: '',
    validity_kind: 'months',
    validity_value: '0',
    price_kind: 'fixed',
    price: '',
  });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Ce champ est obligatoire/);
  assert.match(bad.body, /Nombre entier de 1 à 120/);
  const ok = await admin.postForm('/venues/asso/admin/memberships/products', {
    name: 'Annuelle',
    validity_kind: 'calendar_year',
    price_kind: 'fixed',
    price: '12,50',
    reminder_days: '15',
  });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /La formule « Annuelle » est créée/);
  const productId = (await t.db.selectFrom('membership_products').select('id').executeTakeFirstOrThrow()).id;

  const added = await admin.postForm('/venues/asso/admin/memberships/add', {
    email: 'member@example.org',
    product: productId,
    method: 'cash',
    amount: '12,50',
    starts_on: '2026-02-01',
    note: '',
  });
  assert.equal(added.statusCode, 200);
  assert.match(added.body, /member@example\.org/);
  assert.match(added.body, /2026-02-01 → 2026-12-31/);

  const csv =
    'email,product,starts_on,method,amount\nnew1@example.org,Annuelle,2026-03-01,cheque,12.50\nbad-address,Annuelle,2026-03-01,cash,1\n';
  const preview = await admin.postMultipart(
    '/venues/asso/admin/memberships/import',
    {},
    { file: { filename: 'members.csv', type: 'text/csv', bytes: Buffer.from(csv) } },
  );
  assert.equal(preview.statusCode, 200);
  assert.match(preview.body, /1 ligne\(s\) acceptée\(s\), 1 refusée\(s\)/);
  assert.match(preview.body, /Ligne 3 : adresse e-mail incorrecte/);
  assert.equal(
    (await t.db.selectFrom('people').select('id').where('email', '=', 'new1@example.org').execute()).length,
    0,
    'the preview writes nothing',
  );
  const applied = await admin.postMultipart('/venues/asso/admin/memberships/import', { apply: '1', csv }, {});
  assert.equal(applied.statusCode, 200);
  assert.equal((await t.db.selectFrom('memberships').select('id').execute()).length, 2);

  const exported = await admin.get('/venues/asso/admin/memberships/export.csv');
  assert.equal(exported.statusCode, 200);
  assert.match(String(exported.headers['content-type']), /^text\/csv/);
  assert.match(exported.body, /new1@example\.org,,Annuelle,2026-03-01,2026-12-31,active,cheque,12\.50/);
});

test('the public buys on the venue page and pays on Stripe; the membership shows in the account', async () => {
  const venue = await t.client().get('/venues/asso');
  assert.match(venue.body, /Adhérer/);
  assert.match(venue.body, /12,50/);
  const buyer = await t.loginAs('buyer@example.org');
  const productId = (await t.db.selectFrom('membership_products').select('id').executeTakeFirstOrThrow()).id;
  const anonymous = await t.client().postForm(`/venues/asso/memberships/${productId}`, {});
  assert.equal(anonymous.statusCode, 303);
  assert.match(String(anonymous.headers.location), /^\/login/);
  const buy = await buyer.postForm(`/venues/asso/memberships/${productId}`, {});
  assert.equal(buy.statusCode, 303);
  assert.match(String(buy.headers.location), new RegExp(`^${fake.apiUrl}/pay/cs_test_`));
  const payment = await t.db
    .selectFrom('payments')
    .selectAll()
    .where('purpose', '=', 'membership')
    .executeTakeFirstOrThrow();
  fake.complete(payment.provider_session_id!);
  const back = await buyer.get(`/payments/${payment.id}/return?session_id=${payment.provider_session_id}`);
  assert.equal(back.statusCode, 303);
  assert.equal(back.headers.location, '/account?payment=paid#memberships');
  const account = await buyer.get('/account');
  assert.match(account.body, /Mes adhésions/);
  assert.match(account.body, /Annuelle : valide/);
});

test('"Adhérer" while logged out: login by link, then back to the membership form with its price and dates', async () => {
  const product = (await t.db.selectFrom('membership_products').select('id').executeTakeFirstOrThrow()).id;
  const form = `/venues/asso/memberships/${product}`;
  const visitor = t.client();
  const venue = await visitor.get('/venues/asso');
  assert.match(venue.body, new RegExp(`href="${form}"`));
  // The header's login link keeps the page too.
  assert.match(venue.body, /href="\/login\?next=%2Fvenues%2Fasso"/);
  const toLogin = await visitor.get(form);
  assert.equal(toLogin.statusCode, 303);
  assert.equal(toLogin.headers.location, `/login?next=${encodeURIComponent(form)}`);
  const login = await visitor.get(String(toLogin.headers.location));
  assert.match(login.body, new RegExp(`name="next" value="${form}"`));
  await visitor.postForm('/login', { email: 'joiner@example.org', next: form });
  const link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('joiner@example.org'))!.text)![0];
  const back = await visitor.postForm(link, {});
  assert.equal(back.statusCode, 303);
  assert.equal(back.headers.location, form, 'a new account goes back to the form, not the welcome page');
  const page = await visitor.get(form);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Adhérer : Annuelle/);
  assert.match(page.body, /id="membership-period">Du \d{1,2}/);
  assert.match(page.body, /31 décembre \d{4} inclus/);
  assert.match(page.body, /12,50/);
  // A return path that leaves the site is refused: the login falls back to the account page.
  for (const evil of ['https://evil.example/venues/asso', '//evil.example/venues/asso']) {
    const c = t.client();
    const loginPage = await c.get(`/login?next=${encodeURIComponent(evil)}`);
    assert.match(loginPage.body, /name="next" value=""/);
    await c.postForm('/login', { email: 'joiner@example.org', next: evil });
    const l = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('joiner@example.org'))!.text)![0];
    assert.equal((await c.postForm(l, {})).headers.location, '/account', evil);
  }
});

test('the late-year rule is set in the admin and shown on the form before paying', async () => {
  const late = (from: string) =>
    admin.postForm('/venues/asso/admin/memberships/products', {
      ...{ name: 'Tardive', validity_kind: 'calendar_year', price_kind: 'fixed', price: '30' },
      ...{ late_rule: 'next_year', late_from: from },
    });
  const bad = await late('32/10');
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Indiquez un jour et un mois/);
  const ok = await late('01/01');
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /compte pour l’année suivante à partir du 01\/01/);
  const id = (
    await t.db.selectFrom('membership_products').select('id').where('name', '=', 'Tardive').executeTakeFirstOrThrow()
  ).id;
  const buyer = await t.loginAs('late-buyer@example.org');
  const page = await buyer.get(`/venues/asso/memberships/${id}`);
  const next = new Date().getUTCFullYear() + 1;
  assert.match(page.body, new RegExp(`31 décembre (${next}|${next + 1}) inclus`));
  assert.match(page.body, /elle compte aussi pour toute l’année prochaine/);
});

test('members are checked by the door and till API; others are refused', async () => {
  const keyPage = await admin.postForm('/venues/asso/admin/keys', { name: 'door', scopes: ['memberships:read'] });
  const secret = /value="(rezo_[^"]+)"/.exec(keyPage.body)![1]!;
  const r = await t.app.inject({
    url: '/api/v1/venues/asso/members?email=buyer@example.org',
    headers: { authorization: `Bearer ${secret}` },
  });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().items.length, 1);
  const none = await t.app.inject({
    url: '/api/v1/venues/asso/members?email=nobody@example.org',
    headers: { authorization: `Bearer ${secret}` },
  });
  assert.deepEqual(none.json().items, []);
  const stranger = await t.loginAs('stranger@example.org');
  assert.equal((await stranger.api('GET', '/api/v1/venues/asso/members')).statusCode, 403);
  assert.equal((await stranger.get('/venues/asso/admin/memberships')).statusCode, 403);
});
