import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { runSettlement } from './runSettlement.ts';
import { uuidv7 } from '../shared/ids.ts';
import { mintAgainstPayment } from '../ledger/mintAgainstPayment.ts';
import { createTransfers } from '../ledger/createTransfers.ts';
import { reverseTopUp } from '../ledger/reverseTopUp.ts';
import { createSettlementWorld, mintAtVenue, type SettlementWorld } from './testFixtures.ts';

let t: TestNode;
let w: SettlementWorld;
let treasurer: Client;
before(async () => {
  t = await createTestNode();
  w = await createSettlementWorld(t);
  const card = await w.card(20_000);
  await w.barSale(card, 2);
  await w.payB(1200, { order: 'o-1' });
  await mintAtVenue(t, w.euro, w.venueB.id, 3000);
  treasurer = await t.loginAs(w.treasurer.email);
});
after(() => t.close());

const pause = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const location = (r: { headers: Record<string, unknown> }) => String(r.headers.location ?? '');

describe('the treasurer’s pages', () => {
  let runPath = '';
  test('the federation page shows what each venue has to settle; a run from the page writes the statements', async () => {
    const account = await treasurer.get('/account');
    assert.match(account.body, new RegExp(`href="/settlement/${w.federation.slug}"`), 'the account page leads there');
    const list = await treasurer.get('/settlement');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`href="/settlement/${w.federation.slug}"`));
    const page = await treasurer.get(`/settlement/${w.federation.slug}`);
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /Venue A/);
    assert.match(page.body, /7,00\s€/, 'the 2 beers not settled yet');
    assert.match(page.body, /30,00\s€/, 'the cash collected at B');

    // An end in the future: the form again, with the error beside the field, and nothing written.
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const before = await w.counts();
    const refused = await treasurer.postForm(`/settlement/${w.federation.slug}/runs`, {
      mode: 'date',
      untilDate: future,
    });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /aria-invalid="true"/);
    assert.deepEqual(await w.counts(), before);

    await pause();
    const ran = await treasurer.postForm(`/settlement/${w.federation.slug}/runs`, { mode: 'now' });
    assert.equal(ran.statusCode, 303, ran.body);
    runPath = location(ran);
    assert.match(runPath, new RegExp(`^/settlement/${w.federation.slug}/runs/[0-9a-f-]{36}$`));
    const run = await treasurer.get(runPath);
    assert.equal(run.statusCode, 200);
    assert.match(run.body, /Venue A/);
    assert.match(run.body, /Venue B/);
    assert.match(run.body, /à verser : 7,00\s€/);
  });

  test('a statement: its page, its signed PDF and its CSV for French accounting; marked paid with the bank reference', async () => {
    const statements = await t.db
      .selectFrom('settlement_statements')
      .select(['id', 'place_id'])
      .where('federation_id', '=', w.federation.id)
      .execute();
    const a = statements.find((s) => s.place_id === w.venueA.id)!;
    const page = await treasurer.get(`/settlement/statements/${a.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Ventes à la caisse/);
    assert.match(page.body, /Signature vérifiée/);
    const pdf = await treasurer.get(`/settlement/statements/${a.id}/statement.pdf`);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const csv = await treasurer.get(`/settlement/statements/${a.id}/statement.csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const text = csv.body;
    assert.ok(text.startsWith('\uFEFF'), 'UTF-8 BOM for spreadsheets');
    const rows = text.slice(1).trim().split('\r\n');
    assert.equal(rows[0], 'Date;Pièce;Référence;Libellé;Débit;Crédit;TVA');
    assert.ok(
      rows.some((r) => /;;7,00;TVA non applicable$/.test(r)),
      rows.join('\n'),
    );
    assert.ok(rows.every((r) => r.split(';').length === 7));
    assert.ok(
      rows.slice(1).every((r) => /^\d{2}\/\d{2}\/\d{4};/.test(r)),
      'dates as JJ/MM/AAAA',
    );

    const bad = await treasurer.postForm(`/settlement/statements/${a.id}/paid`, { bankReference: '' });
    assert.equal(bad.statusCode, 422);
    const paid = await treasurer.postForm(`/settlement/statements/${a.id}/paid`, { bankReference: 'VIR-PAGE-1' });
    assert.equal(paid.statusCode, 303, paid.body);
    const after = await treasurer.get(`/settlement/statements/${a.id}`);
    assert.match(after.body, /VIR-PAGE-1/);
    assert.match(after.body, /Payé|Paid/);
  });

  test('the accountant’s export of a run', async () => {
    const csv = await treasurer.get(`${runPath}/export.csv`);
    assert.equal(csv.statusCode, 200);
    const rows = csv.body.slice(1).trim().split('\r\n');
    assert.match(rows[0]!, /^Relevé;Lieu;Début;Fin;Mouvement;Nombre;Débit;Crédit;TVA;Référence$/);
    assert.ok(
      rows.some((r) => r.includes('Venue B') && r.includes('30,00')),
      rows.join('\n'),
    );
    assert.ok(
      rows.some((r) => r.includes('VIR-PAGE-1')),
      'the payout recorded',
    );
  });

  test('in English', async () => {
    const page = await treasurer.get(`/settlement/${w.federation.slug}?lang=en`);
    assert.match(page.body, /Settlement/);
    assert.doesNotMatch(page.body, /settlement\.[a-z]+\.[a-z]/, 'no catalogue key left untranslated');
  });
});

describe('venues and strangers', () => {
  test('a venue’s admin reads its statements, not another venue’s; a stranger is refused and writes nothing', async () => {
    const statements = await t.db
      .selectFrom('settlement_statements')
      .select(['id', 'place_id'])
      .where('federation_id', '=', w.federation.id)
      .execute();
    const a = statements.find((s) => s.place_id === w.venueA.id)!;
    const b = statements.find((s) => s.place_id === w.venueB.id)!;
    const adminA = await t.loginAs(w.adminA.email);
    const own = await adminA.get(`/venues/${w.venueA.slug}/admin/settlement`);
    assert.equal(own.statusCode, 200);
    assert.match(own.body, new RegExp(`/settlement/statements/${a.id}`));
    assert.equal((await adminA.get(`/settlement/statements/${a.id}/statement.pdf`)).statusCode, 200);
    assert.equal((await adminA.get(`/settlement/statements/${b.id}`)).statusCode, 403);
    assert.equal((await adminA.get(`/venues/${w.venueB.slug}/admin/settlement`)).statusCode, 403);
    assert.equal((await adminA.get(`/settlement/${w.federation.slug}`)).statusCode, 403);
    const before = await w.counts();
    const run = await adminA.postForm(`/settlement/${w.federation.slug}/runs`, { mode: 'now' });
    assert.equal(run.statusCode, 403);
    const pay = await adminA.postForm(`/settlement/statements/${b.id}/received`, { bankReference: 'X' });
    assert.equal(pay.statusCode, 403);
    assert.deepEqual(await w.counts(), before);
    const anonymous = t.client();
    assert.equal((await anonymous.get(`/settlement/${w.federation.slug}`)).statusCode, 303, 'to the login page');
  });

  test('the API: a venue key with settlement:read lists its statements; another scope is refused', async () => {
    const read = await createApiKey(t.db, SYSTEM, { slug: w.venueA.slug, name: 'compta', scopes: ['settlement:read'] });
    const till = await createApiKey(t.db, SYSTEM, { slug: w.venueA.slug, name: 'caisse', scopes: ['till'] });
    const list = await withKey(t.app, read.secret, 'GET', `/api/v1/venues/${w.venueA.slug}/settlement/statements`);
    assert.equal(list.statusCode, 200, list.body);
    const items = list.json().items as { id: string; closingCents: number; lines: unknown[] }[];
    assert.equal(items.length, 1);
    const one = await withKey(t.app, read.secret, 'GET', `/api/v1/settlement/statements/${items[0]!.id}`);
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().verification.ok, true);
    const refused = await withKey(t.app, till.secret, 'GET', `/api/v1/venues/${w.venueA.slug}/settlement/statements`);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    const other = await withKey(t.app, read.secret, 'GET', `/api/v1/venues/${w.venueB.slug}/settlement/statements`);
    assert.equal(other.statusCode, 403);
    const spec = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    assert.ok(spec.paths['/api/v1/venues/{slug}/settlement/statements']);
  });

  test('the node runs a settlement too (as the CLI does): a later statement of B asks the venue to transfer what it owes', async () => {
    await mintAtVenue(t, w.euro, w.venueB.id, 500);
    await pause();
    const { statements } = await runSettlement(t.db, SYSTEM, { federation: w.federation.slug, until: new Date() });
    const b = statements.find((s) => s.placeId === w.venueB.id)!;
    assert.ok(b.closingCents < 0);
    const page = await treasurer.get(`/settlement/statements/${b.id}`);
    assert.match(page.body, /doit virer|must transfer/);
    const received = await treasurer.postForm(`/settlement/statements/${b.id}/received`, { bankReference: 'REM-B' });
    assert.equal(received.statusCode, 303, received.body);
  });

  test('the transparency page shows the reserve, the tokens in wallets and at venues, and what is owed to and by venues', async () => {
    const page = await t.client().get('/transparency?lang=fr');
    assert.equal(page.statusCode, 200);
    const card = page.body.slice(page.body.indexOf(w.euro.code));
    for (const label of [
      'Réserve en euros',
      'Dans les portefeuilles',
      'Reçus par les lieux',
      'Dû aux lieux',
      'Dû par les lieux',
    ])
      assert.match(card, new RegExp(label));
    assert.match(card, /La réserve couvre tout<\/dt><dd>oui/);
  });
});

// Last: its payment to B changes B's position, which the tests above read.
describe('holders’ debts', () => {
  test('what holders owe after a refund made in Stripe is listed for the treasurer, with the holder and the amount', async () => {
    const holder = await w.till.ledger.person('debtor');
    const reference = `pi_${uuidv7()}`;
    await mintAgainstPayment(t.db, SYSTEM, {
      id: uuidv7(),
      currencyCode: w.euro.code,
      accountId: holder.euro.id,
      amount: 5000,
      payment: { provider: 'stripe', reference },
    });
    const venue = await w.till.ledger.placeAccount(w.venueB.id, w.euro);
    await createTransfers(t.db, holder.actor, {
      transfers: [
        { id: uuidv7(), debitAccountId: holder.euro.id, creditAccountId: venue.id, amount: 4200, kind: 'payment' },
      ],
    });
    const reversal = `re_${uuidv7()}`;
    const done = await reverseTopUp(t.db, SYSTEM, {
      payment: { provider: 'stripe', reference },
      reversal: { provider: 'stripe', reference: reversal, kind: 'refund' },
      amount: 5000,
    });
    assert.deepEqual(done, { burned: 800, debt: 4200 });
    const page = await treasurer.get(`/settlement/${w.federation.slug}`);
    assert.equal(page.statusCode, 200);
    const email = (
      await t.db.selectFrom('people').select('email').where('id', '=', holder.actor.personId).executeTakeFirstOrThrow()
    ).email;
    const row = new RegExp(
      `<tr><td>${email.replace(/[.+]/g, '\\$&')}</td><td class="num">(?:42,00\\s€|€42\\.00)</td><td>[^<]+</td><td class="mono">${reversal}</td>`,
    );
    assert.match(page.body, row);
  });
});
