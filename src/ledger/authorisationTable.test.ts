import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { personActor, SYSTEM, type Actor, type ApiKeyActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import type { PlaceRole } from '../db/schema.ts';
import { linkCard } from '../cards/linkCard.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import {
  createTillWorld,
  signedRequest,
  type TestCard,
  type TillDevice,
  type TillWorld,
} from '../till/testFixtures.ts';
import { acceptCurrency } from './acceptCurrency.ts';
import { burnOnRefund } from './burnOnRefund.ts';
import { createCurrency } from './createCurrency.ts';
import { createFederation } from './createFederation.ts';
import { createHold } from './createHold.ts';
import { createTransfers } from './createTransfers.ts';
import { ensureAccount } from './ensureAccount.ts';
import type { Account } from './ledger.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { postHold } from './postHold.ts';
import { registerDevice } from './registerDevice.ts';
import { setRefundLimits } from './setRefundLimits.ts';
import { voidHold } from './voidHold.ts';
import { issueWalletPass } from './walletPass.ts';

/**
 * The authorisation table of docs/LEDGER.md ("Who may move money"), cell by cell: every money-moving
 * operation × every kind of actor. Over HTTP where the operation has a route, on the use case where it
 * has none. A refused cell answers its status and writes nothing: the rows of the ledger's tables (and
 * of the sales, cards, limits and audit log) are counted before and after.
 */

const WHO = [
  'owner',
  'other',
  'admin',
  'cashier',
  'door',
  'editor',
  'keyTill',
  'keyRefund',
  'keyOther',
  'tillSession',
  'tillAdminSession',
  'tillNoSession',
  'scanner',
  'operator',
  'node',
  'anonymous',
] as const;
type Who = (typeof WHO)[number];
/** ok: allowed (2xx, or 303 for a form) · a status: refused with it · refused: 401 or 403 (no route for this actor) · login: sent to the login page · skip: the actor has no way to ask at all. */
type Cell = 'ok' | 401 | 403 | 404 | 'refused' | 'login' | 'skip';
type Row = Record<Who, Cell>;
interface Answer {
  statusCode: number;
  body: string;
  headers?: Record<string, unknown>;
}

const PERSONS: readonly Who[] = ['owner', 'other', 'admin', 'cashier', 'door', 'editor', 'operator'];
const DEVICES: readonly Who[] = ['tillSession', 'tillAdminSession', 'tillNoSession', 'scanner'];
const KEYS: readonly Who[] = ['keyTill', 'keyRefund', 'keyOther'];
/** People who act for the venue (placeId in the body); the owner acts for themselves. */
const FOR_VENUE: readonly Who[] = ['other', 'admin', 'cashier', 'door', 'editor', 'operator'];

/** A row written out: the cells in WHO order. */
function row(...cells: Cell[]): Row {
  assert.equal(cells.length, WHO.length);
  return Object.fromEntries(WHO.map((w, i) => [w, cells[i]!])) as Row;
}

let t: TestNode;
let w: TillWorld;
let A: string;
let slug: string;
let venueEuro: Account;
let owner: { id: string; euro: Account };
const clients = {} as Record<Who, Client>;
const actors = {} as Record<Who, Actor>;
const keys = {} as Record<'keyTill' | 'keyRefund' | 'keyOther', string>;
let cashierSession: string;
let adminSession: string;
let scanner: TillDevice;

async function member(role: PlaceRole | null, operator = false) {
  const email = `${role ?? 'none'}-${uuidv7()}@example.org`;
  const p = await ensurePerson(t.db, email, 'en');
  if (role) await t.db.insertInto('place_members').values({ place_id: A, person_id: p.id, role }).execute();
  if (operator) await t.db.updateTable('people').set({ is_operator: true }).where('id', '=', p.id).execute();
  return { id: p.id, client: await t.loginAs(email) };
}

before(async () => {
  t = await createTestNode();
  w = await createTillWorld(t.db);
  A = w.placeId;
  slug = w.ledger.venueA.slug;
  venueEuro = await w.ledger.placeAccount(A, w.euro);
  await w.ledger.fund(venueEuro.id, 1_000_000);
  const emailOf = async (id: string) =>
    (await t.db.selectFrom('people').select('email').where('id', '=', id).executeTakeFirstOrThrow()).email;
  const o = await member(null);
  owner = { id: o.id, euro: await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'person', ownerRef: o.id }) };
  await w.ledger.fund(owner.euro.id, 1_000_000);
  clients.owner = o.client;
  actors.owner = personActor(o.id);
  const other = await member(null);
  clients.other = other.client;
  actors.other = personActor(other.id);
  clients.admin = await t.loginAs(await emailOf(w.ledger.adminA.personId));
  actors.admin = w.ledger.adminA;
  clients.cashier = await t.loginAs(await emailOf(w.cashier.personId));
  actors.cashier = personActor(w.cashier.personId);
  for (const role of ['door', 'editor'] as const) {
    const m = await member(role);
    clients[role] = m.client;
    actors[role] = personActor(m.id);
  }
  const op = await member(null, true);
  clients.operator = op.client;
  actors.operator = personActor(op.id, true);
  actors.node = SYSTEM;
  const scopes = { keyTill: ['till'], keyRefund: ['refund'], keyOther: ['place:write'] } as const;
  for (const [k, s] of Object.entries(scopes) as [keyof typeof scopes, readonly string[]][]) {
    const created = await createApiKey(t.db, SYSTEM, { slug, name: k, scopes: [...s] });
    keys[k] = created.secret;
    actors[k] = { kind: 'apiKey', keyId: created.key.id, placeId: A, scopes: [...s] } satisfies ApiKeyActor;
  }
  const open = async (cardUid: string) => {
    const r = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid });
    assert.equal(r.statusCode, 201, r.body);
    return r.json().session as string;
  };
  cashierSession = await open(w.cashier.card.uid);
  adminSession = await open((await w.newCard({ personId: w.ledger.adminA.personId })).uid);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = await registerDevice(t.db, SYSTEM, {
    placeId: A,
    name: 'Door',
    kind: 'scanner',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  scanner = { placeId: A, id: d.id, privateKey };
});
after(() => t.close());

/** Everything a refused request could have written. */
async function snapshot() {
  return (
    await sql`select (select count(*) from ledger_transfers) as transfers, (select count(*) from ledger_refunds) as refunds,
      (select count(*) from ledger_wallet_passes) as passes, (select count(*) from ledger_payment_references) as payments,
      (select count(*) from ledger_payouts) as payouts, (select count(*) from ledger_currencies) as currencies,
      (select count(*) from ledger_currency_places) as accepted, (select count(*) from ledger_device_nonces) as nonces,
      (select count(*) from till_sales) as sales, (select count(*) from cards where person_id is not null) as linked,
      (select count(*) from cards where status = 'blocked') as blocked, (select count(*) from ledger_refund_limits) as limits,
      (select count(*) from audit_log) as audit`.execute(t.db)
  ).rows[0];
}

/**
 * The session a device sends: a cashier's (the scanner steals it: it cannot open one), an admin's, or
 * for "no session" a forged one (the till's routes require the field; the ledger's refuse both alike).
 */
const sessionOf = (who: Who): Record<string, string> =>
  who === 'tillSession' || who === 'scanner'
    ? { session: cashierSession }
    : who === 'tillAdminSession'
      ? { session: adminSession }
      : { session: 'forged.session' };

/** Sends a JSON request as `who` over HTTP: a session (and CSRF header), a key, a device signature, or nothing. */
function send(
  who: Who,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: Record<string, unknown>,
  options: { session?: boolean } = {},
): Promise<Answer> {
  if ((PERSONS as readonly string[]).includes(who)) return clients[who].api(method, url, body);
  if ((KEYS as readonly string[]).includes(who)) return withKey(t.app, keys[who as 'keyTill'], method, url, body);
  if ((DEVICES as readonly string[]).includes(who))
    return signedRequest(
      t.app,
      who === 'scanner' ? scanner : w.device,
      method as 'POST',
      url,
      body === undefined || options.session === false ? body : { ...body, ...sessionOf(who) },
    );
  if (who === 'anonymous') return t.client().api(method, url, body);
  throw new Error(`${who} has no HTTP channel`);
}

/** A form post (pages) as `who`. */
function sendForm(who: Who, url: string, form: Record<string, string>): Promise<Answer> {
  if ((PERSONS as readonly string[]).includes(who)) return clients[who].postForm(url, form);
  if ((KEYS as readonly string[]).includes(who))
    return t.app.inject({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${keys[who as 'keyTill']}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams(form).toString(),
    });
  if ((DEVICES as readonly string[]).includes(who)) return send(who, 'POST', url, form, { session: false });
  return t.client().postForm(url, form);
}

/** A use case's outcome as an HTTP-like answer: its DomainError's status, or 200. */
async function viaUseCase(run: () => Promise<unknown>): Promise<Answer> {
  try {
    await run();
    return { statusCode: 200, body: '' };
  } catch (error) {
    if (error instanceof DomainError) return { statusCode: error.status, body: error.code };
    throw error;
  }
}

/**
 * Tries one cell and checks it against the table. `setup` prepares what the attempt needs (a hold to
 * post, a sale to cancel, a card to link) before the rows are counted.
 */
async function cell<T = undefined>(
  operation: string,
  who: Who,
  expected: Cell,
  attempt: (prepared: T) => Promise<Answer>,
  setup?: () => Promise<T>,
) {
  if (expected === 'skip') return;
  const prepared = (setup ? await setup() : undefined) as T;
  const before = await snapshot();
  const r = await attempt(prepared);
  const where = `${operation} × ${who}: ${r.statusCode} ${r.body.slice(0, 300)}`;
  if (expected === 'ok') {
    assert.ok(r.statusCode >= 200 && r.statusCode < 400, where);
    if (r.statusCode === 303) assert.doesNotMatch(String(r.headers?.location), /^\/login/, where);
    return;
  }
  if (expected === 'login') {
    assert.equal(r.statusCode, 303, where);
    assert.match(String(r.headers?.location), /^\/login/, where);
  } else if (expected === 'refused') assert.ok(r.statusCode === 401 || r.statusCode === 403, where);
  else assert.equal(r.statusCode, expected, where);
  assert.deepEqual(await snapshot(), before, `${where}: nothing written`);
}

/** A wallet pass of the owner for venue A, issued fresh for each attempt. */
const passOfOwner = async (maxAmount = 100_000) =>
  (await issueWalletPass(t.db, actors.owner, { placeId: A, maxAmount })).pass;

/** The body of a transfer request as `who` sends it: placeId for people acting for the venue, the holder's pass for every venue actor. */
async function transferBody(who: Who, transfers: object[], withPass: boolean) {
  return {
    transfers,
    ...((FOR_VENUE as readonly string[]).includes(who) ? { placeId: A } : {}),
    ...(withPass && who !== 'owner' ? { holder: await passOfOwner() } : {}),
  };
}

/** Runs a transfer-request row for every actor: HTTP, or createTransfers for the node. */
async function transferRow(operation: string, expected: Row, make: () => Promise<object[]>, withPass: boolean) {
  for (const who of WHO)
    await cell(operation, who, expected[who], async () => {
      const transfers = await make();
      if (who === 'node') return viaUseCase(() => createTransfers(t.db, SYSTEM, { transfers: transfers as never }));
      return send(who, 'POST', '/api/v1/transfers', await transferBody(who, transfers, withPass));
    });
}

const tr = (debitAccountId: string, creditAccountId: string, amount: number, kind: string) => ({
  id: uuidv7(),
  debitAccountId,
  creditAccountId,
  amount,
  kind,
});

async function anonymousCard(funded = 0): Promise<{ card: TestCard; account: Account }> {
  const card = await w.newCard();
  const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card.id });
  if (funded > 0) await w.fund(card, w.euro, funded);
  return { card, account };
}

describe('the authorisation table (docs/LEDGER.md, "Who may move money"), every cell', () => {
  test('transfers (POST /api/v1/transfers)', async () => {
    // owner other admin cashier door editor keyTill keyRefund keyOther tillSession tillAdmin tillNoSession scanner operator node anonymous
    await transferRow(
      'transfer wallet → venue',
      row('ok', 403, 'ok', 'ok', 403, 403, 'ok', 403, 403, 'ok', 'ok', 403, 403, 'ok', 'ok', 401),
      async () => [tr(owner.euro.id, venueEuro.id, 100, 'payment')],
      true,
    );
    const friend = await w.ledger.person('friend');
    await transferRow(
      'transfer wallet → wallet',
      row('ok', 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 'ok', 401),
      async () => [tr(owner.euro.id, friend.euro.id, 100, 'transfer')],
      true,
    );
    const card = await anonymousCard();
    await transferRow(
      'transfer wallet → card',
      row('ok', 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 'ok', 401),
      async () => [tr(owner.euro.id, card.account.id, 100, 'transfer')],
      true,
    );
    await transferRow(
      'refund venue → wallet',
      row(403, 403, 'ok', 403, 403, 403, 403, 'ok', 403, 403, 'ok', 403, 403, 'ok', 'ok', 401),
      async () => [tr(venueEuro.id, owner.euro.id, 100, 'refund')],
      false,
    );
    await transferRow(
      'refund venue → card',
      row(403, 403, 'ok', 403, 403, 403, 403, 'ok', 403, 403, 'ok', 403, 403, 'ok', 'ok', 401),
      async () => [tr(venueEuro.id, card.account.id, 100, 'refund')],
      false,
    );
    const venueB = await w.ledger.placeAccount(w.ledger.venueB.id, w.euro);
    await transferRow(
      'payout venue → venue',
      row(403, 403, 'ok', 403, 403, 403, 403, 'ok', 403, 403, 'ok', 403, 403, 'ok', 'ok', 401),
      async () => [tr(venueEuro.id, venueB.id, 100, 'payout')],
      false,
    );
    await transferRow(
      'another kind from a venue’s account',
      row(403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 'ok', 401),
      async () => [tr(venueEuro.id, owner.euro.id, 100, 'payment')],
      false,
    );
    const paying = await anonymousCard(10_000);
    await transferRow(
      'a debit of a card’s account',
      row(403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 'ok', 401),
      async () => [tr(paying.account.id, venueEuro.id, 100, 'payment')],
      true,
    );
  });

  test('holds: create (POST /api/v1/holds), post and void (POST /api/v1/holds/{id}/post|void)', async () => {
    for (const who of WHO)
      await cell(
        'hold wallet → venue',
        who,
        row('ok', 403, 'ok', 'ok', 403, 403, 'ok', 403, 403, 'ok', 'ok', 403, 403, 'ok', 'ok', 401)[who],
        async () => {
          const hold = {
            id: uuidv7(),
            debitAccountId: owner.euro.id,
            creditAccountId: venueEuro.id,
            amount: 100,
            kind: 'payment',
          };
          if (who === 'node') return viaUseCase(() => createHold(t.db, SYSTEM, hold));
          const extra = await transferBody(who, [], true);
          const { transfers: _none, ...rest } = extra;
          return send(who, 'POST', '/api/v1/holds', { ...hold, ...rest });
        },
      );
    const resolve = row(403, 403, 'ok', 'ok', 403, 403, 'ok', 403, 403, 'ok', 'ok', 403, 403, 'ok', 'ok', 401);
    for (const phase of ['post', 'void'] as const)
      for (const who of WHO)
        await cell(
          `${phase} a hold`,
          who,
          resolve[who],
          (holdId: string) =>
            who === 'node'
              ? viaUseCase(() => (phase === 'post' ? postHold : voidHold)(t.db, SYSTEM, { id: uuidv7(), holdId }))
              : send(who, 'POST', `/api/v1/holds/${holdId}/${phase}`, { id: uuidv7() }),
          async () => {
            const holdId = uuidv7();
            await createHold(t.db, SYSTEM, {
              id: holdId,
              debitAccountId: owner.euro.id,
              creditAccountId: venueEuro.id,
              amount: 100,
              kind: 'payment',
            });
            return holdId;
          },
        );
  });

  test('the till: sale, top-up, cash-out, cancel the last sale (device-signed only)', async () => {
    // Their amounts and caps are docs/TILL.md's (another change): only who may ask is tested here.
    const till = row(
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
      'ok',
      'ok',
      401,
      401,
      'refused',
      'skip',
      'refused',
    );
    const card = await w.newCard();
    await w.fund(card, w.euro, 100_000);
    // Everyone sends the cashier's session: without the device that opened it, it is worth nothing.
    const sale = (extra: object) => ({
      id: uuidv7(),
      session: cashierSession,
      pointId: w.pointId,
      cardUid: card.uid,
      ...extra,
    });
    const authorised = (r: Answer) => ({
      ...r,
      statusCode: r.statusCode === 401 || r.statusCode === 403 ? r.statusCode : 200,
    });
    for (const who of WHO)
      await cell('till sale paid by card', who, till[who], () =>
        send(
          who,
          'POST',
          '/api/v1/till/sales',
          sale({
            items: [{ articleId: w.articles.sale, quantity: 1 }],
            payments: [{ method: 'card', amountCents: 350 }],
          }),
        ),
      );
    for (const who of WHO)
      await cell('mint at the counter', who, till[who], async () =>
        authorised(
          await send(
            who,
            'POST',
            '/api/v1/till/sales',
            sale({
              items: [{ articleId: w.articles.top_up, quantity: 1, amountCents: 500 }],
              payments: [{ method: 'cash', amountCents: 500 }],
            }),
          ),
        ),
      );
    for (const who of WHO)
      await cell('cash-out at the counter', who, till[who], async () =>
        authorised(
          await send(
            who,
            'POST',
            '/api/v1/till/sales',
            sale({
              items: [{ articleId: w.articles.cash_out, quantity: 1, amountCents: 100 }],
              payments: [],
              cashBackCents: 100,
            }),
          ),
        ),
      );
    for (const who of WHO)
      await cell(
        'cancel the last sale',
        who,
        till[who],
        (saleId: string) =>
          send(who, 'POST', `/api/v1/till/sales/${saleId}/reverse`, { id: uuidv7(), session: cashierSession }),
        async () => {
          const sold = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', {
            ...sale({
              items: [{ articleId: w.articles.sale, quantity: 1 }],
              payments: [{ method: 'card', amountCents: 350 }],
            }),
            session: cashierSession,
          });
          assert.equal(sold.statusCode, 201, sold.body);
          return sold.json().sale.id as string;
        },
      );
  });

  test('use cases without a route: mint against a payment, burn on refund, accept and create a currency', async () => {
    const noRoute = new Set<Who>([...DEVICES, 'anonymous']);
    const cells = (r: Row) => WHO.filter((who) => !noRoute.has(who)).map((who) => [who, r[who]] as const);
    for (const [who, expected] of cells(
      row(403, 403, 'ok', 'ok', 403, 403, 'ok', 403, 403, 'skip', 'skip', 'skip', 'skip', 'ok', 'ok', 'skip'),
    ))
      await cell('mint against a payment', who, expected, () =>
        viaUseCase(() =>
          mintAgainstPayment(t.db, actors[who], {
            id: uuidv7(),
            currencyCode: w.euro.code,
            accountId: owner.euro.id,
            amount: 100,
            payment: { provider: 'cash', reference: `cash-${uuidv7()}` },
            placeId: A,
          }),
        ),
      );
    for (const [who, expected] of cells(
      row(403, 403, 403, 403, 403, 403, 403, 403, 403, 'skip', 'skip', 'skip', 'skip', 'ok', 'ok', 'skip'),
    ))
      await cell(
        'burn on refund',
        who,
        expected,
        (reference: string) =>
          viaUseCase(() =>
            burnOnRefund(t.db, actors[who], {
              id: uuidv7(),
              payment: { provider: 'cash', reference },
              refund: { provider: 'cash', reference: `r-${reference}` },
              amount: 50,
            }),
          ),
        async () => {
          const reference = `cash-${uuidv7()}`;
          await mintAgainstPayment(t.db, SYSTEM, {
            id: uuidv7(),
            currencyCode: w.euro.code,
            accountId: owner.euro.id,
            amount: 100,
            payment: { provider: 'cash', reference },
          });
          return reference;
        },
      );
    // Venue A's gift credit accepted at venue B: the admin of A is the admin of B too (the fixture's).
    let n = 0;
    const gift = () =>
      createCurrency(t.db, SYSTEM, {
        code: `T${Date.now().toString(36).toUpperCase().slice(-6)}${n++}`,
        name: 'Gift',
        kind: 'gift',
        decimals: 2,
        issuerPlaceId: A,
      });
    for (const [who, expected] of cells(
      row(403, 403, 'ok', 403, 403, 403, 403, 403, 403, 'skip', 'skip', 'skip', 'skip', 'ok', 'ok', 'skip'),
    ))
      await cell(
        'accept a currency',
        who,
        expected,
        (code: string) =>
          viaUseCase(() => acceptCurrency(t.db, actors[who], { currencyCode: code, placeId: w.ledger.venueB.id })),
        async () => (await gift()).code,
      );
    for (const [who, expected] of cells(
      row(403, 403, 'ok', 403, 403, 403, 403, 403, 'ok', 'skip', 'skip', 'skip', 'skip', 'ok', 'ok', 'skip'),
    ))
      await cell('create a currency', who, expected, () =>
        viaUseCase(() =>
          createCurrency(t.db, actors[who], {
            code: `C${Date.now().toString(36).toUpperCase().slice(-6)}${n++}`,
            name: 'Gift',
            kind: 'gift',
            decimals: 2,
            issuerPlaceId: A,
          }),
        ),
      );
    for (const [who, expected] of cells(
      row(403, 403, 403, 403, 403, 403, 403, 403, 403, 'skip', 'skip', 'skip', 'skip', 'ok', 'ok', 'skip'),
    ))
      await cell(
        'create a federated euro',
        who,
        expected,
        (federationId: string) =>
          viaUseCase(() =>
            createCurrency(t.db, actors[who], {
              code: `F${Date.now().toString(36).toUpperCase().slice(-6)}${n++}`,
              name: 'Euro',
              kind: 'federated_euro',
              decimals: 2,
              federationId,
            }),
          ),
        async () =>
          (await createFederation(t.db, SYSTEM, { slug: `fed-${uuidv7()}`, name: 'Federation', placeIds: [A] })).id,
      );
  });

  test('wallet passes, cards and the refund limits', async () => {
    const issue = row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 401, 401, 401, 401, 401, 401, 401, 'ok', 'skip', 401);
    for (const who of WHO)
      await cell('issue a wallet pass', who, issue[who], () =>
        send(who, 'POST', '/api/v1/wallet/passes', { venue: slug, maxAmount: 100 }, { session: false }),
      );
    const link = row(
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'login',
      'login',
      'login',
      'login',
      'login',
      'login',
      'login',
      'ok',
      'skip',
      'login',
    );
    for (const who of WHO)
      await cell(
        'link a card',
        who,
        link[who],
        (card: TestCard) => sendForm(who, `/cards/qr${card.id}/link`, {}),
        () => w.newCard(),
      );
    const block = row(
      'ok',
      404,
      'ok',
      'ok',
      403,
      403,
      'login',
      'login',
      'login',
      'login',
      'login',
      'login',
      'login',
      'ok',
      'skip',
      'login',
    );
    for (const who of WHO)
      await cell(
        'block a card',
        who,
        block[who],
        (card: TestCard) =>
          who === 'owner' || who === 'other'
            ? sendForm(who, `/account/cards/${card.id}/block`, {})
            : sendForm(who, `/venues/${slug}/cards/${card.id}/block`, { identity_checked: 'on' }),
        async () => {
          const card = await w.newCard();
          await linkCard(t.db, actors.owner, { cardId: card.id });
          return card;
        },
      );
    const limits = row(
      403,
      403,
      'ok',
      403,
      403,
      403,
      403,
      403,
      'ok',
      'refused',
      'refused',
      'refused',
      'refused',
      'ok',
      'ok',
      401,
    );
    for (const who of WHO)
      await cell('set the refund limits', who, limits[who], () =>
        who === 'node'
          ? viaUseCase(() => setRefundLimits(t.db, SYSTEM, { slug, perOperation: 10_000, perDay: 1_000_000 }))
          : send(
              who,
              'PUT',
              `/api/v1/venues/${slug}/ledger/refund-limits`,
              { perOperation: 10_000, perDay: 1_000_000 },
              { session: false },
            ),
      );
  });
});
