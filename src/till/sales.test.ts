import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, type TestNode } from '../../test/harness.ts';
import { signDeviceRequest } from '../ledger/deviceSignature.ts';
import { uuidv7 } from '../shared/ids.ts';
import { businessDayOf } from './businessDay.ts';
import { derivedId } from './derivedId.ts';
import { recordSale } from './recordSale.ts';
import { signedRequest, type TestCard, type TillWorld, useTillNode } from './testFixtures.ts';
import { issueTillSession, tillSessionKey } from './tillSession.ts';
import { signText } from '../ledger/nodeKey.ts';
import { verifyJournal } from './verifyJournal.ts';
import { closeDay } from './closeDay.ts';
import { SYSTEM } from '../access/actor.ts';
import { inTransaction } from '../db/database.ts';
import { cashOutAtCounter } from '../ledger/cashOutAtCounter.ts';
import { createCurrency } from '../ledger/createCurrency.ts';
import { DomainError } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { blockCardByHolder } from '../cards/blockCard.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode;
let w: TillWorld;
let session: string;

useTillNode((opened) => ({ t, w, session } = opened));

const count = async (
  table:
    | 'till_sales'
    | 'ledger_transfers'
    | 'till_journal'
    | 'ledger_device_nonces'
    | 'ledger_payment_references'
    | 'ledger_payouts',
) => countRows(t.db, table);
const snapshot = async () =>
  Promise.all(
    (
      [
        'till_sales',
        'ledger_transfers',
        'till_journal',
        'ledger_device_nonces',
        'ledger_payment_references',
        'ledger_payouts',
      ] as const
    ).map(count),
  );

type Item = { articleId: string; quantity: number; amountCents?: number };
type Payment = { method: 'card' | 'cash' | 'bank_card'; amountCents: number; tenderedCents?: number; cardUid?: string };
const saleBody = (items: Item[], payments: Payment[], card?: TestCard, extra: Record<string, unknown> = {}) => ({
  id: uuidv7(),
  session,
  pointId: w.pointId,
  ...(card ? { cardUid: card.uid } : {}),
  items,
  payments,
  ...extra,
});
const sell = (body: unknown, device = w.device) => signedRequest(t.app, device, 'POST', '/api/v1/till/sales', body);
const beer = (quantity = 1): Item => ({ articleId: w.articles.sale, quantity });
const reverse = (saleId: string, id = uuidv7(), device = w.device) =>
  signedRequest(t.app, device, 'POST', `/api/v1/till/sales/${saleId}/reverse`, { id, session });

describe('till: opening, config, card lookup', () => {
  test('a staff card opens the till; anonymous, not-staff, blocked and unknown cards do not', async () => {
    const outsider = await t.db
      .selectFrom('people')
      .select('id')
      .where('id', '=', w.ledger.adminA.personId)
      .executeTakeFirstOrThrow();
    const anonymous = await w.newCard();
    const notStaff = await w.newCard({ personId: (await w.ledger.person('stranger')).actor.personId });
    for (const card of [anonymous, notStaff]) {
      const r = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: card.uid });
      assert.equal(r.statusCode, 403, r.body);
      assert.match(r.json().type, /till-not-staff$/);
    }
    const unknown = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', {
      cardUid: '0011223344556677'.slice(0, 14),
    });
    assert.equal(unknown.statusCode, 403);
    const adminCard = await w.newCard({ personId: outsider.id, blocked: true });
    const blocked = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: adminCard.uid });
    assert.equal(blocked.statusCode, 403);
    assert.match(blocked.json().type, /till-card-blocked$/);
    // The admin of the venue opens it with an active card, and the answer names the cashier.
    const adminActive = await w.newCard({ personId: outsider.id });
    const ok = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: adminActive.uid });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().cashier.personId, outsider.id);
    assert.ok(new Date(ok.json().expiresAt).getTime() - Date.now() > 11.9 * 3600_000);
    const french = await signedRequest(
      t.app,
      w.device,
      'POST',
      '/api/v1/till/open',
      { cardUid: anonymous.uid },
      { language: 'fr' },
    );
    assert.match(french.json().title, /carte d’équipe/);
    const unsigned = await t.app.inject({
      method: 'POST',
      url: '/api/v1/till/open',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ cardUid: anonymous.uid }),
    });
    assert.equal(unsigned.statusCode, 401);
    // A cashier of venue A cannot open a till of venue B, nor sell there with the session of A's till.
    const tillB = await w.pairDevice(w.ledger.venueB.id);
    const atB = await signedRequest(t.app, tillB, 'POST', '/api/v1/till/open', { cardUid: w.cashier.card.uid });
    assert.equal(atB.statusCode, 403, atB.body);
    assert.match(atB.json().type, /till-not-staff$/);
    const salesBefore = await countRows(t.db, 'till_sales');
    const sellAtB = await signedRequest(t.app, tillB, 'POST', '/api/v1/till/sales', {
      id: uuidv7(),
      session,
      pointId: w.pointId,
      items: [{ articleId: w.articles.sale, quantity: 1 }],
      payments: [{ method: 'cash', amountCents: 350 }],
    });
    assert.equal(sellAtB.statusCode, 401, sellAtB.body);
    assert.match(sellAtB.json().type, /till-session$/);
    assert.equal(await countRows(t.db, 'till_sales'), salesBefore);
  });

  test('the config lists the points and their articles', async () => {
    const r = await signedRequest(t.app, w.device, 'GET', '/api/v1/till/config');
    assert.equal(r.statusCode, 200, r.body);
    const bar = r.json().points.find((p: { id: string }) => p.id === w.pointId);
    assert.equal(bar.articles.length, 9);
    assert.deepEqual(
      r.json().currencies.map((c: { kind: string }) => c.kind),
      ['gift', 'local_euro', 'federated_euro'],
    );
  });

  test('a tapped card shows its balances in payment order, what is usable here, memberships; blocked and unknown', async () => {
    const holder = await w.ledger.person('member');
    const card = await w.newCard({ personId: holder.actor.personId });
    await w.fund(card, w.euro, 1000);
    await w.fund(card, w.gift, 100);
    await w.fund(card, w.local, 200);
    await w.fund(card, w.otherGift, 500);
    await t.db
      .insertInto('memberships')
      .values({
        place_id: w.placeId,
        id: uuidv7(),
        product_id: w.membershipProductId,
        person_id: holder.actor.personId,
        status: 'active',
        starts_on: '2020-01-01',
        ends_on: '2099-12-31',
        method: 'cash',
      })
      .execute();
    const r = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', {
      session,
      cardUid: card.uid.toLowerCase().replace(/(..)/g, '$1:').slice(0, -1),
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(
      r
        .json()
        .balances.map((b: { currency: string; amount: number; usableHere: boolean }) => [
          b.currency,
          b.amount,
          b.usableHere,
        ]),
      [
        [w.gift.code, 100, true],
        [w.local.code, 200, true],
        [w.euro.code, 1000, true],
        [w.otherGift.code, 500, false],
      ],
    );
    assert.deepEqual(r.json().memberships, [{ product: 'Adhésion annuelle', endsOn: '2099-12-31' }]);
    assert.deepEqual(r.json().card, { number: card.number, status: 'active', linked: true });
    const blocked = await w.newCard({ blocked: true });
    const b = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', {
      session,
      cardUid: blocked.uid,
    });
    assert.equal(b.json().card.status, 'blocked');
    const unknown = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', {
      session,
      cardUid: 'AABBCCDD',
    });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().type, /till-card-unknown$/);
    const noSession = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', {
      session: 'x.y',
      cardUid: card.uid,
    });
    assert.equal(noSession.statusCode, 401);
  });
});

describe('till: sales', () => {
  test('a card pays gift → local → federated euro among the currencies accepted here', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    await w.fund(card, w.gift, 100);
    await w.fund(card, w.local, 200);
    await w.fund(card, w.otherGift, 500);
    const r = await sell(saleBody([beer(2)], [{ method: 'card', amountCents: 700 }], card));
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json();
    assert.equal(body.sale.totalCents, 700);
    assert.deepEqual(
      body.payments.map((p: { currency: string; amountCents: number }) => [p.currency, p.amountCents]),
      [
        [w.gift.code, 100],
        [w.local.code, 200],
        [w.euro.code, 400],
      ],
    );
    assert.equal(await w.balance(card, w.gift), 0);
    assert.equal(await w.balance(card, w.local), 0);
    assert.equal(await w.balance(card, w.euro), 600);
    assert.equal(await w.balance(card, w.otherGift), 500);
    assert.equal(body.payments[0].transferId, derivedId(body.sale.id, 'pay:0'));
    assert.match(r.headers['server-timing'] as string, /^sale;dur=/);
    const lines = await t.db
      .selectFrom('till_journal')
      .selectAll()
      .where('sale_id', '=', body.sale.id)
      .orderBy('position')
      .execute();
    assert.deepEqual(
      lines.map((l) => [l.kind, l.amount_cents, l.payment_method, l.currency_code]),
      [
        ['item', 700, null, null],
        ['payment', 100, 'card', w.gift.code],
        ['payment', 200, 'card', w.local.code],
        ['payment', 400, 'card', w.euro.code],
      ],
    );
    assert.equal(lines[0]!.article_name, `sale ${lines[0]!.article_name!.split(' ')[1]}`);
    assert.equal(lines[0]!.vat_rate, 2000);
    assert.equal(lines[0]!.category_name, 'Boissons');
    // Only other-gift credit: not accepted here, so nothing usable.
    const other = await w.newCard();
    await w.fund(other, w.otherGift, 5000);
    const refused = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], other));
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json().missing, 350);
  });

  test('split card + cash gives change; insufficient funds says what is missing and writes nothing', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 300);
    const before = await snapshot();
    const short = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], card));
    assert.equal(short.statusCode, 422, short.body);
    assert.match(short.json().type, /till-insufficient-funds$/);
    assert.equal(short.json().missing, 50);
    assert.match(short.json().detail, /50/);
    const afterRefusal = await snapshot();
    assert.deepEqual(afterRefusal.slice(0, 3), before.slice(0, 3));
    assert.equal(await w.balance(card, w.euro), 300);
    const split = await sell(
      saleBody(
        [beer()],
        [
          { method: 'card', amountCents: 300 },
          { method: 'cash', amountCents: 50, tenderedCents: 200 },
        ],
        card,
      ),
    );
    assert.equal(split.statusCode, 201, split.body);
    assert.equal(split.json().changeCents, 150);
    assert.equal(await w.balance(card, w.euro), 0);
    assert.deepEqual(split.json().balances.find((b: { currency: string }) => b.currency === w.euro.code).amount, 0);
  });

  test('blocked and unknown cards pay nothing; bad input and unbalanced sales are refused', async () => {
    const blocked = await w.newCard({ blocked: true });
    await w.fund(blocked, w.euro, 1000);
    const b = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], blocked));
    assert.equal(b.statusCode, 403);
    assert.match(b.json().type, /till-card-blocked$/);
    assert.equal(await w.balance(blocked, w.euro), 1000);
    const u = await sell(
      saleBody([beer()], [{ method: 'card', amountCents: 350 }], {
        id: '',
        uid: '01020304',
        number: '',
        personId: null,
      }),
    );
    assert.equal(u.statusCode, 404);
    assert.match(u.json().type, /till-card-unknown$/);
    const noCard = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }]));
    assert.match(noCard.json().type, /till-card-required$/);
    const unbalanced = await sell(saleBody([beer(2)], [{ method: 'cash', amountCents: 350 }]));
    assert.equal(unbalanced.statusCode, 422);
    assert.equal(unbalanced.json().total, 700);
    assert.equal(unbalanced.json().paid, 350);
    const cashOnly = await sell({
      ...saleBody([beer()], [{ method: 'bank_card', amountCents: 350 }]),
      pointId: w.cashPointId,
    });
    assert.match(cashOnly.json().type, /till-payment-method$/);
    const priced = await sell(saleBody([{ ...beer(), amountCents: 1 }], [{ method: 'cash', amountCents: 1 }]));
    assert.equal(priced.statusCode, 422);
    assert.deepEqual(
      priced.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['items.0.amountCents', 'till.amount-fixed']],
    );
    const float = await sell(saleBody([beer()], [{ method: 'cash', amountCents: 3.5 }]));
    assert.equal(float.statusCode, 422);
    const unknownArticle = await sell(
      saleBody([{ articleId: uuidv7(), quantity: 1 }], [{ method: 'cash', amountCents: 350 }]),
    );
    assert.deepEqual(
      unknownArticle.json().errors.map((e: { field: string }) => e.field),
      ['items.0.articleId'],
    );
    const negativeCard = await sell(
      saleBody([{ articleId: w.articles.deposit_return, quantity: 1 }], [{ method: 'bank_card', amountCents: -100 }]),
    );
    assert.equal(negativeCard.statusCode, 422);
    // Deposit, its return and a free article: plain lines, + / − / 0.
    const mixed = await sell(
      saleBody(
        [
          { articleId: w.articles.deposit, quantity: 2 },
          { articleId: w.articles.deposit_return, quantity: 1 },
          { articleId: w.articles.free, quantity: 1 },
        ],
        [{ method: 'cash', amountCents: 100 }],
      ),
    );
    assert.equal(mixed.statusCode, 201, mixed.body);
    assert.deepEqual(
      mixed.json().items.map((i: { amountCents: number }) => i.amountCents),
      [200, -100, 0],
    );
  });

  test('sessions: expired, of another device, of the first version, naming another card, or of a cashier no longer staff are refused', async () => {
    const key = await tillSessionKey(t.db);
    const old = issueTillSession(
      key,
      { placeId: w.placeId, deviceId: w.device.id, cashierPersonId: w.cashier.personId, cardId: w.cashier.card.id },
      Date.now() - 13 * 3600_000,
    ).token;
    const expired = await sell({ ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]), session: old });
    assert.equal(expired.statusCode, 401);
    assert.match(expired.json().type, /till-session$/);
    const other = await w.pairDevice();
    const stolen = await sell(saleBody([beer()], [{ method: 'cash', amountCents: 350 }]), other);
    assert.equal(stolen.statusCode, 401);
    const forged = await sell({
      ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]),
      session: `${session.split('.')[0]}.${'A'.repeat(86)}`,
    });
    assert.equal(forged.statusCode, 401);
    // A session of the first version (signed by the node, but naming no card) is refused: reopen the till.
    const v1 = [
      'rezo-till-session-v1',
      w.placeId,
      w.device.id,
      w.cashier.personId,
      String(Date.now() + 3600_000),
      'abcdefghijkl',
    ].join('|');
    const firstVersion = await sell({
      ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]),
      session: `${Buffer.from(v1).toString('base64url')}.${signText(key.privateKey, v1)}`,
    });
    assert.equal(firstVersion.statusCode, 401, firstVersion.body);
    assert.match(firstVersion.json().type, /till-session$/);
    // A session naming a card that is not the cashier's is refused too.
    const notHis = issueTillSession(key, {
      placeId: w.placeId,
      deviceId: w.device.id,
      cashierPersonId: w.cashier.personId,
      cardId: (await w.newCard()).id,
    }).token;
    const borrowed = await sell({ ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]), session: notHis });
    assert.equal(borrowed.statusCode, 401, borrowed.body);
    const temp = (await w.ledger.person('temp')).actor.personId;
    await t.db.insertInto('place_members').values({ place_id: w.placeId, person_id: temp, role: 'cashier' }).execute();
    const tempSession = issueTillSession(key, {
      placeId: w.placeId,
      deviceId: w.device.id,
      cashierPersonId: temp,
      cardId: (await w.newCard({ personId: temp })).id,
    }).token;
    assert.equal(
      (await sell({ ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]), session: tempSession })).statusCode,
      201,
    );
    await t.db.deleteFrom('place_members').where('person_id', '=', temp).execute();
    const fired = await sell({ ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]), session: tempSession });
    assert.equal(fired.statusCode, 403);
    assert.match(fired.json().type, /till-not-staff$/);
  });

  test('blocking a staff card ends the till sessions it opened at once; another card of the cashier still works', async () => {
    const cashier = await w.ledger.person('blockable');
    await t.db
      .insertInto('place_members')
      .values({ place_id: w.placeId, person_id: cashier.actor.personId, role: 'cashier' })
      .execute();
    const lost = await w.newCard({ personId: cashier.actor.personId });
    const spare = await w.newCard({ personId: cashier.actor.personId });
    const open = async (card: TestCard) => {
      const r = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: card.uid });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().session as string;
    };
    const opened = await open(lost);
    const customer = await w.newCard();
    await w.fund(customer, w.euro, 1000);
    const first = await sell({
      ...saleBody([beer()], [{ method: 'card', amountCents: 350 }], customer),
      session: opened,
    });
    assert.equal(first.statusCode, 201, first.body);

    // The holder blocks the lost card: the session it opened is refused by the very next request.
    await blockCardByHolder(t.db, cashier.actor, { cardId: lost.id });
    const before = await snapshot();
    const refused = await sell({
      ...saleBody([beer()], [{ method: 'card', amountCents: 350 }], customer),
      session: opened,
    });
    assert.equal(refused.statusCode, 401, refused.body);
    assert.match(refused.json().type, /till-session$/);
    const lookup = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', {
      session: opened,
      cardUid: customer.uid,
    });
    assert.equal(lookup.statusCode, 401, lookup.body);
    const reversal = await signedRequest(
      t.app,
      w.device,
      'POST',
      `/api/v1/till/sales/${first.json().sale.id}/reverse`,
      {
        id: uuidv7(),
        session: opened,
      },
    );
    assert.equal(reversal.statusCode, 401, reversal.body);
    const [sales, transfers, journal, , refs, payouts] = await snapshot();
    assert.deepEqual(
      [sales, transfers, journal, refs, payouts],
      [before[0], before[1], before[2], before[4], before[5]],
    );
    assert.equal(await w.balance(customer, w.euro), 650, 'nothing more was taken');
    // The blocked card opens nothing; the cashier's other card opens a session that works.
    const again = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: lost.uid });
    assert.equal(again.statusCode, 403);
    const fresh = await open(spare);
    const ok = await sell({ ...saleBody([beer()], [{ method: 'card', amountCents: 350 }], customer), session: fresh });
    assert.equal(ok.statusCode, 201, ok.body);
  });

  test('a bad signature or a replayed nonce writes nothing', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    const body = saleBody([beer()], [{ method: 'card', amountCents: 350 }], card);
    const before = await snapshot();
    const tampered = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', body, {
      tamper: (p) => p.replace('"quantity":1', '"quantity":2'),
    });
    assert.equal(tampered.statusCode, 401);
    assert.match(tampered.body, /ledger-device-signature/);
    const stale = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', body, {
      timestamp: Date.now() - 10 * 60_000,
    });
    assert.equal(stale.statusCode, 401);
    assert.deepEqual(await snapshot(), before);
    const payload = JSON.stringify(body);
    const headers = signDeviceRequest(w.device.privateKey, {
      placeId: w.placeId,
      deviceId: w.device.id,
      method: 'POST',
      path: '/api/v1/till/sales',
      body: payload,
    });
    const ok = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', body, { headers });
    assert.equal(ok.statusCode, 201, ok.body);
    const afterOk = await snapshot();
    const replay = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', body, { headers });
    assert.equal(replay.statusCode, 401);
    assert.match(replay.body, /replay/);
    assert.deepEqual(await snapshot(), afterOk);
    assert.equal(await w.balance(card, w.euro), 650);
  });

  test('the same sale id: one sale, the same answer; another body → 409', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    const body = saleBody([beer()], [{ method: 'card', amountCents: 350 }], card);
    const first = await sell(body);
    const second = await sell(body);
    const third = await sell({
      ...body,
      session: (
        await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: w.cashier.card.uid })
      ).json().session,
    });
    assert.deepEqual([first.statusCode, second.statusCode, third.statusCode], [201, 200, 200]);
    assert.equal(second.body, first.body);
    assert.equal(third.body, first.body);
    assert.equal(await w.balance(card, w.euro), 650);
    const conflict = await sell({ ...body, items: [beer(2)], payments: [{ method: 'card', amountCents: 700 }] });
    assert.equal(conflict.statusCode, 409);
    assert.match(conflict.json().type, /till-sale-conflict$/);
    const otherDevice = await w.pairDevice();
    const stolenId = await sell(body, otherDevice);
    assert.equal(stolenId.statusCode, 409); // the id is taken by another device's request
    assert.equal(await w.balance(card, w.euro), 650);
  });

  test('a top-up mints against the cash taken, once; by the card terminal; never paid by the card', async () => {
    const card = await w.newCard();
    const body = saleBody(
      [{ articleId: w.articles.top_up, quantity: 1, amountCents: 2000 }],
      [{ method: 'cash', amountCents: 2000, tenderedCents: 2000 }],
      card,
    );
    const r = await sell(body);
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(await w.balance(card, w.euro), 2000);
    const ref = await t.db
      .selectFrom('ledger_payment_references')
      .selectAll()
      .where('reference', '=', `till:${body.id}:0`)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [ref.provider, ref.amount_cents, ref.cashier_person_id, ref.device_id, ref.place_id],
      ['cash', 2000, w.cashier.personId, w.device.id, w.placeId],
    );
    assert.equal((await sell(body)).statusCode, 200);
    assert.equal(await w.balance(card, w.euro), 2000);
    const terminal = saleBody(
      [{ articleId: w.articles.localTopUp, quantity: 1, amountCents: 500 }],
      [{ method: 'bank_card', amountCents: 500 }],
      card,
    );
    assert.equal((await sell(terminal)).statusCode, 201);
    assert.equal(await w.balance(card, w.local), 500);
    const ref2 = await t.db
      .selectFrom('ledger_payment_references')
      .select('provider')
      .where('reference', '=', `till:${terminal.id}:0`)
      .executeTakeFirstOrThrow();
    assert.equal(ref2.provider, 'card_terminal');
    const byCard = await sell(
      saleBody(
        [{ articleId: w.articles.top_up, quantity: 1, amountCents: 500 }],
        [{ method: 'card', amountCents: 500 }],
        card,
      ),
    );
    assert.match(byCard.json().type, /till-top-up-payment$/);
    const gift = await sell(saleBody([{ articleId: w.articles.gift_top_up, quantity: 1, amountCents: 300 }], [], card));
    assert.equal(gift.statusCode, 201, gift.body);
    assert.equal(gift.json().sale.totalCents, 0);
    assert.equal(await w.balance(card, w.gift), 300);
    const { verifyLedger } = await import('../ledger/verifyLedger.ts');
    assert.equal((await verifyLedger(t.db)).ok, true);
  });

  test('a cash-out burns euro-backed tokens only, at most what the card holds', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 500);
    await w.fund(card, w.local, 300);
    await w.fund(card, w.gift, 100);
    const cashOut = (amount: number) =>
      saleBody([{ articleId: w.articles.cash_out, quantity: 1, amountCents: amount }], [], card, {
        cashBackCents: amount,
      });
    const before = await snapshot();
    const tooMuch = await sell(cashOut(900));
    assert.equal(tooMuch.statusCode, 422, tooMuch.body);
    assert.equal(tooMuch.json().available, 800);
    assert.deepEqual(await snapshot().then((s) => s.slice(0, 3)), before.slice(0, 3));
    const ok = await sell(cashOut(800));
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().sale.totalCents, -800);
    assert.deepEqual(
      [await w.balance(card, w.euro), await w.balance(card, w.local), await w.balance(card, w.gift)],
      [0, 0, 100],
    );
    const payouts = await t.db
      .selectFrom('ledger_payouts')
      .select(['amount_cents', 'payment_reference'])
      .where('reference', 'like', `till:${ok.json().sale.id}%`)
      .execute();
    assert.deepEqual(payouts.map((p) => p.amount_cents).sort(), [300, 500]);
    assert.ok(payouts.every((p) => p.payment_reference === null));
  });

  test('amounts: not a positive integer or above MAX_AMOUNT_MINOR is refused at the edge, naming the field; CHECKs behind', async () => {
    const card = await w.newCard();
    const topUp = (amountCents: unknown, payment: unknown = 100) =>
      saleBody(
        [{ articleId: w.articles.top_up, quantity: 1, amountCents: amountCents as number }],
        [{ method: 'cash', amountCents: payment as number }],
        card,
      );
    const cases: [unknown, string][] = [];
    for (const bad of [0, -100, 1.5, '100', MAX_AMOUNT_MINOR + 1, 2 ** 53]) {
      cases.push([topUp(bad), 'items.0.amountCents']);
      cases.push([saleBody([beer()], [{ method: 'cash', amountCents: bad as number }]), 'payments.0.amountCents']);
    }
    for (const bad of [0.5, MAX_AMOUNT_MINOR + 1, '400'])
      cases.push([
        saleBody([beer()], [{ method: 'cash', amountCents: 350, tenderedCents: bad as number }]),
        'payments.0.tenderedCents',
      ]);
    for (const bad of [0, 1.5, MAX_AMOUNT_MINOR + 1])
      cases.push([
        saleBody([{ articleId: w.articles.deposit_return, quantity: 1 }], [], undefined, { cashBackCents: bad }),
        'cashBackCents',
      ]);
    const before = await snapshot();
    for (const [body, field] of cases) {
      const r = await sell(body);
      assert.equal(r.statusCode, 422, `${field}: ${r.body}`);
      assert.ok(
        (r.json().errors ?? []).some((e: { field: string }) => e.field === field),
        `${field} named in ${r.body}`,
      );
    }
    // Through the use case too (a caller that is not HTTP): the same fields.
    for (const [body, field] of cases.slice(0, 4)) {
      await assert.rejects(
        recordSale(t.db, { placeId: w.placeId, deviceId: w.device.id } as never, body as never),
        (e: unknown) => e instanceof DomainError && e.fields.some((f) => f.field === field),
      );
    }
    // A line (unit × quantity) and the total are bounded too: an open-price article at 6 M€, twice.
    const open = uuidv7();
    await t.db
      .insertInto('pos_articles')
      .values({ place_id: w.placeId, id: open, name: 'Open price', kind: 'sale', price_cents: null, vat_rate: 0 })
      .execute();
    await t.db
      .insertInto('pos_point_articles')
      .values({ place_id: w.placeId, point_id: w.pointId, article_id: open })
      .execute();
    const big = 600_000_000;
    const line = await sell(
      saleBody([{ articleId: open, quantity: 2, amountCents: big }], [{ method: 'bank_card', amountCents: 2 * big }]),
    );
    assert.equal(line.statusCode, 422, line.body);
    const total = await sell(
      saleBody(
        [
          { articleId: open, quantity: 1, amountCents: big },
          { articleId: open, quantity: 1, amountCents: big },
        ],
        [
          { method: 'bank_card', amountCents: big },
          { method: 'cash', amountCents: big },
        ],
      ),
    );
    assert.equal(total.statusCode, 422, total.body);
    assert.deepEqual(
      total.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['items', 'till.total-range']],
    );
    assert.deepEqual(await snapshot(), before, 'nothing written');

    // Behind the edge, the database refuses rows beyond the bound (the backstop of a forgotten check).
    const tooBig = MAX_AMOUNT_MINOR + 1;
    await assert.rejects(
      t.db
        .insertInto('pos_articles')
        .values({ place_id: w.placeId, id: uuidv7(), name: 'Gold', kind: 'sale', price_cents: tooBig, vat_rate: 0 })
        .execute(),
      /check constraint/,
    );
    const sold = await sell(saleBody([beer()], [{ method: 'cash', amountCents: 350 }]));
    assert.equal(sold.statusCode, 201);
    const saleRow = await t.db
      .selectFrom('till_sales')
      .selectAll()
      .where('id', '=', sold.json().sale.id)
      .executeTakeFirstOrThrow();
    await assert.rejects(
      t.db
        .insertInto('till_sales')
        .values({ ...saleRow, id: uuidv7(), total_cents: tooBig, result: JSON.stringify(saleRow.result) })
        .execute(),
      /check constraint/,
    );
    const lineRow = await t.db
      .selectFrom('till_journal')
      .selectAll()
      .where('sale_id', '=', sold.json().sale.id)
      .where('kind', '=', 'item')
      .executeTakeFirstOrThrow();
    for (const change of [{ amount_cents: -tooBig }, { unit_price_cents: tooBig }, { quantity: 1000 }]) {
      await assert.rejects(
        inTransaction(t.db, async (trx) => {
          const head = await trx
            .selectFrom('till_journal_heads')
            .selectAll()
            .where('place_id', '=', w.placeId)
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('till_journal')
            .values({ ...lineRow, ...change, position: Number(head.position) + 1 })
            .execute();
        }),
        /check constraint/,
        JSON.stringify(change),
      );
    }
  });

  test('payment lines are positive: card credit never comes out as cash, a top-up is never netted against money given back', async () => {
    // The first finding: "card 10 €, cash −6,50 €" for a 3,50 € beer, the card holding gift credit.
    const card = await w.newCard();
    await w.fund(card, w.gift, 1000);
    const before = await snapshot();
    const giftToCash = await sell(
      saleBody(
        [beer()],
        [
          { method: 'card', amountCents: 1000 },
          { method: 'cash', amountCents: -650 },
        ],
        card,
      ),
    );
    assert.equal(giftToCash.statusCode, 422, giftToCash.body);
    assert.deepEqual(
      giftToCash.json().errors.map((e: { field: string }) => e.field),
      ['payments.1.amountCents'],
    );
    assert.equal(await w.balance(card, w.gift), 1000);
    // The second: a 50 € top-up "paid" 1 cent in cash by netting 49 returned cups against it.
    const topUpNetted = await sell(
      saleBody(
        [
          { articleId: w.articles.top_up, quantity: 1, amountCents: 5000 },
          { articleId: w.articles.deposit_return, quantity: 49 },
        ],
        [{ method: 'cash', amountCents: 100 }],
        card,
      ),
    );
    assert.equal(topUpNetted.statusCode, 422, topUpNetted.body);
    assert.match(topUpNetted.json().type, /till-top-up-payment$/);
    assert.equal(await w.balance(card, w.euro), 0, 'nothing minted');
    assert.deepEqual(await snapshot(), before, 'nothing written');

    // Money given back says so: a negative total, no payment line, cashBackCents = −total, in cash.
    const cups = saleBody([{ articleId: w.articles.deposit_return, quantity: 2 }], [], undefined, {
      cashBackCents: 200,
    });
    const returned = await sell(cups);
    assert.equal(returned.statusCode, 201, returned.body);
    assert.deepEqual(returned.json().payments, [
      { method: 'cash', amountCents: -200, currency: null, transferId: null },
    ]);
    const lines = await t.db
      .selectFrom('till_journal')
      .select(['kind', 'payment_method', 'amount_cents'])
      .where('sale_id', '=', cups.id)
      .orderBy('position')
      .execute();
    assert.deepEqual(lines, [
      { kind: 'item', payment_method: null, amount_cents: -200 },
      { kind: 'payment', payment_method: 'cash', amount_cents: -200 },
    ]);
    const wrong = [
      // Not the total given back.
      saleBody([{ articleId: w.articles.deposit_return, quantity: 2 }], [], undefined, { cashBackCents: 150 }),
      // Cash given back and a payment line.
      saleBody(
        [{ articleId: w.articles.deposit_return, quantity: 1 }],
        [{ method: 'cash', amountCents: 100 }],
        undefined,
        {
          cashBackCents: 200,
        },
      ),
      // Cash given back on a sale that takes money in.
      saleBody([beer()], [{ method: 'cash', amountCents: 350 }], undefined, { cashBackCents: 1 }),
      // A negative or zero amount.
      saleBody([{ articleId: w.articles.deposit_return, quantity: 1 }], [], undefined, { cashBackCents: -100 }),
    ];
    const before2 = await snapshot();
    for (const body of wrong) {
      const r = await sell(body);
      assert.equal(r.statusCode, 422, r.body);
    }
    // A negative total without cashBackCents is unbalanced, as before.
    const silent = await sell(saleBody([{ articleId: w.articles.deposit_return, quantity: 1 }], []));
    assert.equal(silent.statusCode, 422);
    assert.match(silent.json().type, /till-unbalanced$/);
    // A point that takes no cash gives none back.
    const cashless = await t.db
      .updateTable('pos_points')
      .set({ payment_methods: ['card'] })
      .where('id', '=', w.pointId)
      .execute();
    assert.equal(Number(cashless[0]!.numUpdatedRows), 1);
    try {
      const noCash = await sell(
        saleBody([{ articleId: w.articles.deposit_return, quantity: 1 }], [], undefined, { cashBackCents: 100 }),
      );
      assert.equal(noCash.statusCode, 422, noCash.body);
      assert.match(noCash.json().type, /till-payment-method$/);
    } finally {
      await t.db
        .updateTable('pos_points')
        .set({ payment_methods: ['card', 'cash', 'bank_card'] })
        .where('id', '=', w.pointId)
        .execute();
    }
    assert.deepEqual(await snapshot(), before2, 'refusals write nothing');
  });

  test('a cash-out pays out only what the venue may (its federation’s euro, its own local euro), recorded with the venue', async () => {
    // Venue B's local euro, accepted in payment at A: A may take it for a beer, never pay it out in cash.
    const n = uuidv7().slice(-6).toUpperCase();
    const otherLocal = await createCurrency(t.db, SYSTEM, {
      code: `B${n}`,
      name: 'Local euro of B',
      kind: 'local_euro',
      decimals: 2,
      issuerPlaceId: w.ledger.venueB.id,
    });
    await t.db
      .insertInto('ledger_currency_places')
      .values({ currency_id: otherLocal.id, place_id: w.placeId })
      .execute();
    const card = await w.newCard();
    await w.fund(card, otherLocal, 700);
    await w.fund(card, w.euro, 200);
    const cashOut = (amount: number) =>
      saleBody([{ articleId: w.articles.cash_out, quantity: 1, amountCents: amount }], [], card, {
        cashBackCents: amount,
      });
    const before = await snapshot();
    const tooMuch = await sell(cashOut(300));
    assert.equal(tooMuch.statusCode, 422, tooMuch.body);
    assert.match(tooMuch.json().type, /till-cash-out-exceeds$/);
    assert.equal(tooMuch.json().available, 200, 'B’s local euro is not paid out at A');
    assert.deepEqual(await snapshot(), before, 'a refused cash-out writes nothing');
    const ok = await sell(cashOut(200));
    assert.equal(ok.statusCode, 201, ok.body);
    assert.deepEqual([await w.balance(card, otherLocal), await w.balance(card, w.euro)], [700, 0]);
    const payouts = await t.db
      .selectFrom('ledger_payouts as p')
      .innerJoin('ledger_transfers as t', 't.id', 'p.transfer_id')
      .select(['p.amount_cents', 'p.place_id', 't.place_id as transfer_place', 't.currency_id'])
      .where('p.reference', 'like', `till:${ok.json().sale.id}%`)
      .execute();
    assert.deepEqual(payouts, [
      { amount_cents: 200, place_id: w.placeId, transfer_place: w.placeId, currency_id: w.euro.id },
    ]);
    // The ledger's use case refuses it too, whoever calls it: B's local euro named as a source at A.
    const account = await t.db
      .selectFrom('ledger_accounts')
      .select('id')
      .where('currency_id', '=', otherLocal.id)
      .where('owner_kind', '=', 'card')
      .where('owner_ref', '=', card.id)
      .executeTakeFirstOrThrow();
    const direct = inTransaction(t.db, (trx) =>
      cashOutAtCounter(trx, {
        idOf: (i) => derivedId(uuidv7(), `cash-out:${i}`),
        amount: 100,
        reference: `test:${uuidv7()}`,
        placeId: w.placeId,
        authorisation: { by: 'device', authoriserId: w.device.id, placeId: w.placeId, deviceSignature: null },
        sources: [
          {
            accountId: account.id,
            currencyId: otherLocal.id,
            code: otherLocal.code,
            kind: 'local_euro',
            euroBacked: true,
            available: 700,
          },
        ],
      }),
    );
    await assert.rejects(direct, (e: unknown) => e instanceof DomainError && e.code === 'till-currency-not-accepted');
    assert.equal(await w.balance(card, otherLocal), 700);
  });

  test('a membership goes to the card’s holder; an anonymous card cannot get one', async () => {
    const holder = await w.ledger.person('buyer');
    const card = await w.newCard({ personId: holder.actor.personId });
    const r = await sell(
      saleBody([{ articleId: w.articles.membership, quantity: 1 }], [{ method: 'cash', amountCents: 1500 }], card),
    );
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().membership.product, 'Adhésion annuelle');
    const m = await t.db
      .selectFrom('memberships')
      .selectAll()
      .where('person_id', '=', holder.actor.personId)
      .executeTakeFirstOrThrow();
    assert.deepEqual([m.status, m.amount_cents, m.method, m.created_by], ['active', 1500, 'till', w.cashier.personId]);
    const anonymous = await w.newCard();
    const refused = await sell(
      saleBody([{ articleId: w.articles.membership, quantity: 1 }], [{ method: 'cash', amountCents: 1500 }], anonymous),
    );
    assert.equal(refused.statusCode, 422);
    assert.match(refused.json().type, /till-membership-needs-holder$/);
  });
});

describe('till: reversals and the journal', () => {
  test('a reversed sale restores the balance exactly once', async () => {
    const card = await w.newCard();
    await w.fund(card, w.gift, 100);
    await w.fund(card, w.euro, 1000);
    const sale = (await sell(saleBody([beer(2)], [{ method: 'card', amountCents: 700 }], card))).json();
    assert.equal(await w.balance(card, w.euro), 400);
    const reversalId = uuidv7();
    const r = await reverse(sale.sale.id, reversalId);
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().sale.reversesSaleId, sale.sale.id);
    assert.equal(r.json().sale.totalCents, -700);
    assert.deepEqual([await w.balance(card, w.gift), await w.balance(card, w.euro)], [100, 1000]);
    const again = await reverse(sale.sale.id, reversalId);
    assert.equal(again.statusCode, 200);
    assert.equal(again.body, r.body);
    const twice = await reverse(sale.sale.id);
    assert.equal(twice.statusCode, 409);
    assert.match(twice.json().type, /till-sale-reversed$/);
    const ofReversal = await reverse(reversalId);
    assert.match(ofReversal.json().type, /till-reversal-of-reversal$/);
    assert.deepEqual([await w.balance(card, w.gift), await w.balance(card, w.euro)], [100, 1000]);
    const lines = await t.db
      .selectFrom('till_journal')
      .select(['kind', 'amount_cents', 'quantity'])
      .where('sale_id', '=', reversalId)
      .orderBy('position')
      .execute();
    assert.deepEqual(
      lines.map((l) => [l.kind, l.amount_cents, l.quantity]),
      [
        ['item', -700, -2],
        ['payment', -100, null],
        ['payment', -600, null],
      ],
    );
    const otherVenue = await w.pairDevice(w.ledger.venueB.id);
    const foreign = await signedRequest(t.app, otherVenue, 'POST', `/api/v1/till/sales/${sale.sale.id}/reverse`, {
      id: uuidv7(),
      session,
    });
    assert.equal(foreign.statusCode, 401); // the session is not of that device, and the sale is not of its venue
  });

  test('reversing a top-up burns it back only if still there; a cash-out is minted back; only today', async () => {
    const card = await w.newCard();
    const topUp = (
      await sell(
        saleBody(
          [{ articleId: w.articles.top_up, quantity: 1, amountCents: 1000 }],
          [{ method: 'cash', amountCents: 1000 }],
          card,
        ),
      )
    ).json();
    const spent = (await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], card))).json();
    const refused = await reverse(topUp.sale.id);
    assert.equal(refused.statusCode, 422, refused.body);
    assert.equal(refused.json().missing, 350);
    assert.equal((await reverse(spent.sale.id)).statusCode, 201);
    const back = await reverse(topUp.sale.id);
    assert.equal(back.statusCode, 201, back.body);
    assert.equal(await w.balance(card, w.euro), 0);
    await w.fund(card, w.euro, 600);
    const out = (
      await sell(
        saleBody([{ articleId: w.articles.cash_out, quantity: 1, amountCents: 600 }], [], card, { cashBackCents: 600 }),
      )
    ).json();
    assert.equal(await w.balance(card, w.euro), 0);
    assert.equal((await reverse(out.sale.id)).statusCode, 201);
    assert.equal(await w.balance(card, w.euro), 600);
    const { verifyLedger } = await import('../ledger/verifyLedger.ts');
    const check = await verifyLedger(t.db);
    assert.equal(check.ok, true, JSON.stringify(check.problem));
    // A sale of an earlier business day cannot be cancelled at the till.
    const payload = saleBody([beer()], [{ method: 'cash', amountCents: 350 }]);
    const path = '/api/v1/till/sales';
    const device = signDeviceRequest(w.device.privateKey, {
      placeId: w.placeId,
      deviceId: w.device.id,
      method: 'POST',
      path,
      body: JSON.stringify(payload),
    });
    const { readDeviceHeaders } = await import('../ledger/deviceSignature.ts');
    const old = await recordSale(
      t.db,
      readDeviceHeaders(device, { method: 'POST', path, body: JSON.stringify(payload) })!,
      payload,
      new Date(Date.now() - 3 * 86_400_000),
    );
    const late = await reverse(old.body.sale.id);
    assert.equal(late.statusCode, 422);
    assert.match(late.json().type, /till-reversal-day$/);
    assert.match(late.json().detail, new RegExp(old.body.sale.businessDay));
  });

  test('the journal chain verifies, and an edited line is detected', async () => {
    const good = await verifyJournal(t.db, w.placeId);
    assert.equal(good.ok, true, JSON.stringify(good.problem));
    assert.ok(good.lines > 10);
    const edit = await t.db
      .selectFrom('till_journal')
      .select('position')
      .where('place_id', '=', w.placeId)
      .where('kind', '=', 'item')
      .orderBy('position')
      .limit(1)
      .offset(3)
      .executeTakeFirstOrThrow();
    await assert.rejects(
      sql`update till_journal set amount_cents = amount_cents - 1 where place_id = ${w.placeId} and position = ${edit.position}`.execute(
        t.db,
      ),
      /append-only/,
    );
    await sql`alter table till_journal disable trigger till_journal_no_update_delete`.execute(t.db);
    try {
      await sql`update till_journal set amount_cents = amount_cents - 1 where place_id = ${w.placeId} and position = ${edit.position}`.execute(
        t.db,
      );
    } finally {
      await sql`alter table till_journal enable trigger till_journal_no_update_delete`.execute(t.db);
    }
    const bad = await verifyJournal(t.db, w.placeId);
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.problem, { position: Number(edit.position), reason: 'hash' });
    // Put it back (for the tests after this one): the chain verifies again.
    await sql`alter table till_journal disable trigger till_journal_no_update_delete`.execute(t.db);
    try {
      await sql`update till_journal set amount_cents = amount_cents + 1 where place_id = ${w.placeId} and position = ${edit.position}`.execute(
        t.db,
      );
    } finally {
      await sql`alter table till_journal enable trigger till_journal_no_update_delete`.execute(t.db);
    }
    assert.equal((await verifyJournal(t.db, w.placeId)).ok, true);
  });

  test('the business day starts at day_starts_at in the venue’s time zone', () => {
    assert.equal(businessDayOf(new Date('2026-11-25T02:30:00Z'), 'UTC'), '2026-11-24');
    assert.equal(businessDayOf(new Date('2026-11-25T04:00:00Z'), 'UTC'), '2026-11-25');
    assert.equal(businessDayOf(new Date('2026-11-24T23:30:00Z'), 'Indian/Reunion'), '2026-11-24'); // 03:30 local
    assert.equal(businessDayOf(new Date('2026-11-25T00:30:00Z'), 'Indian/Reunion'), '2026-11-25'); // 04:30 local
    assert.equal(businessDayOf(new Date('2026-11-25T05:00:00Z'), 'UTC', '06:00:00'), '2026-11-24');
    // Paris springs forward on 29 March 2026: 04:30 local that morning (02:30Z) already belongs to the 29th.
    assert.equal(businessDayOf(new Date('2026-03-29T02:30:00Z'), 'Europe/Paris'), '2026-03-29');
    assert.equal(businessDayOf(new Date('2026-03-29T01:30:00Z'), 'Europe/Paris'), '2026-03-28'); // 03:30 local
  });
});

describe('till: a sale paid by several cards', () => {
  type CardPayment = { method: 'card'; amountCents: number; cardUid?: string };
  const cardPay = (card: TestCard | null, amountCents: number): CardPayment => ({
    method: 'card',
    amountCents,
    ...(card ? { cardUid: card.uid } : {}),
  });
  const cardIdsOfTransfers = async (saleId: string) =>
    (
      await t.db
        .selectFrom('ledger_transfers')
        .select(['amount', 'metadata'])
        .where(
          'id',
          'in',
          [0, 1, 2, 3].map((i) => derivedId(saleId, `pay:${i}`)),
        )
        .orderBy('id')
        .execute()
    ).map((r) => [(r.metadata as { card?: string }).card, Number(r.amount)]);

  test('two cards pay one sale: each pays its own amount in currency order, the sale keeps the first card; the reversal gives each its own back', async () => {
    const first = await w.newCard();
    const second = await w.newCard();
    await w.fund(first, w.gift, 50);
    await w.fund(first, w.euro, 200);
    await w.fund(second, w.local, 100);
    await w.fund(second, w.euro, 1000);
    const r = await sell(saleBody([beer(2)], [cardPay(null, 250), cardPay(second, 450)], first));
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json();
    assert.deepEqual(
      body.payments.map((p: { currency: string; amountCents: number }) => [p.currency, p.amountCents]),
      [
        [w.gift.code, 50],
        [w.euro.code, 200],
        [w.local.code, 100],
        [w.euro.code, 350],
      ],
    );
    assert.deepEqual([await w.balance(first, w.gift), await w.balance(first, w.euro)], [0, 0]);
    assert.deepEqual([await w.balance(second, w.local), await w.balance(second, w.euro)], [0, 650]);
    assert.deepEqual(body.card, { number: first.number, linked: false });
    assert.equal(body.balances.find((b: { currency: string }) => b.currency === w.euro.code).amount, 0); // the first card's wallet
    // The second card's wallet after the sale, so the cashier can tell its holder what is left.
    assert.equal(body.otherCards.length, 1);
    assert.equal(body.otherCards[0].number, second.number);
    const left = Object.fromEntries(
      body.otherCards[0].balances.map((b: { currency: string; amount: number }) => [b.currency, b.amount]),
    );
    assert.deepEqual([left[w.local.code], left[w.euro.code]], [0, 650]);
    const row = await t.db
      .selectFrom('till_sales')
      .select(['card_id', 'total_cents'])
      .where('id', '=', body.sale.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([row.card_id, Number(row.total_cents)], [first.id, 700]);
    const lines = await t.db
      .selectFrom('till_journal')
      .select(['kind', 'amount_cents', 'payment_method', 'currency_code'])
      .where('sale_id', '=', body.sale.id)
      .orderBy('position')
      .execute();
    assert.deepEqual(
      lines.map((l) => [l.kind, Number(l.amount_cents), l.payment_method, l.currency_code]),
      [
        ['item', 700, null, null],
        ['payment', 50, 'card', w.gift.code],
        ['payment', 200, 'card', w.euro.code],
        ['payment', 100, 'card', w.local.code],
        ['payment', 350, 'card', w.euro.code],
      ],
    );
    const payers = await cardIdsOfTransfers(body.sale.id);
    assert.deepEqual(payers.map(([c]) => c).sort(), [first.id, first.id, second.id, second.id].sort());
    // A retry with the same body is the same sale.
    const again = await sell({
      ...saleBody([beer(2)], [cardPay(null, 250), cardPay(second, 450)], first),
      id: body.sale.id,
    });
    assert.equal(again.statusCode, 200);
    assert.equal(again.body, r.body);

    const back = await reverse(body.sale.id);
    assert.equal(back.statusCode, 201, back.body);
    assert.deepEqual([await w.balance(first, w.gift), await w.balance(first, w.euro)], [50, 200]);
    assert.deepEqual([await w.balance(second, w.local), await w.balance(second, w.euro)], [100, 1000]);
    assert.deepEqual(
      back.json().payments.map((p: { amountCents: number }) => p.amountCents),
      [-50, -200, -100, -350],
    );
    const { verifyLedger } = await import('../ledger/verifyLedger.ts');
    const check = await verifyLedger(t.db);
    assert.equal(check.ok, true, JSON.stringify(check.problem));
  });

  test('the card that is short is named (second or first), and nothing is written', async () => {
    const first = await w.newCard();
    const second = await w.newCard();
    await w.fund(first, w.euro, 300);
    await w.fund(second, w.euro, 10);
    const before = await snapshot();
    const short = await sell(saleBody([beer()], [cardPay(first, 300), cardPay(second, 50)], first));
    assert.equal(short.statusCode, 422, short.body);
    assert.match(short.json().type, /till-insufficient-funds$/);
    assert.deepEqual([short.json().missing, short.json().card], [40, second.number]);
    const firstShort = await sell(saleBody([beer()], [cardPay(first, 340), cardPay(second, 10)], first));
    assert.deepEqual(
      [firstShort.statusCode, firstShort.json().missing, firstShort.json().card],
      [422, 40, first.number],
    );
    const single = await sell(saleBody([beer()], [cardPay(null, 350)], first));
    assert.deepEqual([single.json().missing, single.json().card], [50, first.number]);
    assert.deepEqual((await snapshot()).slice(0, 3), before.slice(0, 3));
    assert.deepEqual([await w.balance(first, w.euro), await w.balance(second, w.euro)], [300, 10]);
  });

  test('two cards of one holder share a wallet: what the first takes is not offered to the second', async () => {
    const holder = await w.ledger.person('twocards');
    const one = await w.newCard({ personId: holder.actor.personId });
    const other = await w.newCard({ personId: holder.actor.personId });
    await w.fund(one, w.euro, 500);
    const before = await snapshot();
    const short = await sell(saleBody([beer(2)], [cardPay(one, 350), cardPay(other, 350)], one));
    assert.deepEqual([short.statusCode, short.json().missing, short.json().card], [422, 200, other.number]);
    assert.deepEqual((await snapshot()).slice(0, 3), before.slice(0, 3));
    assert.equal(await w.balance(one, w.euro), 500);
    // Enough for both: one wallet, shown once (no other card listed).
    await w.fund(one, w.euro, 300);
    const ok = await sell(saleBody([beer(2)], [cardPay(one, 350), cardPay(other, 350)], one));
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().otherCards, undefined);
    assert.equal(ok.json().balances.find((b: { currency: string }) => b.currency === w.euro.code).amount, 100);
  });

  test('the same card named twice is one debit; a card payment names a card; at most 3 cards; unknown or blocked second card', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    const merged = await sell(saleBody([beer(2)], [cardPay(card, 100), cardPay(null, 250), cardPay(card, 350)], card));
    assert.equal(merged.statusCode, 201, merged.body);
    assert.deepEqual(
      merged.json().payments.map((p: { currency: string; amountCents: number }) => [p.currency, p.amountCents]),
      [[w.euro.code, 700]],
    );
    assert.equal(await w.balance(card, w.euro), 300);
    // Naming the sale's own card on a payment is the same request as not naming it (same hash as before).
    const plain = saleBody([beer()], [cardPay(null, 100), { method: 'cash', amountCents: 250 }], card);
    assert.equal((await sell(plain)).statusCode, 201);
    const named = await sell({ ...plain, payments: [cardPay(card, 100), { method: 'cash', amountCents: 250 }] });
    assert.equal(named.statusCode, 200, named.body);
    assert.equal(await w.balance(card, w.euro), 200);
    await w.fund(card, w.euro, 100);
    // No sale card: the first card paying is the sale's card.
    const noSaleCard = await sell(saleBody([beer()], [cardPay(card, 300), { method: 'cash', amountCents: 50 }]));
    assert.equal(noSaleCard.statusCode, 201, noSaleCard.body);
    assert.equal(noSaleCard.json().card.number, card.number);
    assert.equal(
      (
        await t.db
          .selectFrom('till_sales')
          .select('card_id')
          .where('id', '=', noSaleCard.json().sale.id)
          .executeTakeFirstOrThrow()
      ).card_id,
      card.id,
    );
    assert.equal(await w.balance(card, w.euro), 0);

    await w.fund(card, w.euro, 1000);
    const blocked = await w.newCard({ blocked: true });
    await w.fund(blocked, w.euro, 1000);
    const before = await snapshot();
    const onCash = await sell(
      saleBody([beer()], [{ method: 'cash', amountCents: 350, cardUid: card.uid } as Payment], card),
    );
    assert.equal(onCash.statusCode, 422);
    assert.deepEqual(
      onCash.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['payments.0.cardUid', 'till.card-payment-only']],
    );
    const badUid = await sell(
      saleBody([beer()], [{ method: 'card', amountCents: 350, cardUid: 'zz' } as Payment], card),
    );
    assert.deepEqual(
      badUid.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['payments.0.cardUid', 'format']],
    );
    const four = await Promise.all([1, 2, 3, 4].map(() => w.newCard()));
    const tooMany = await sell(
      saleBody(
        [{ articleId: w.articles.sale, quantity: 4 }],
        four.map((c) => cardPay(c, 350)),
        card,
      ),
    );
    assert.deepEqual(
      tooMany.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]),
      [['payments', 'till.too-many-cards']],
    );
    const noCard = await sell(saleBody([beer()], [cardPay(null, 350)]));
    assert.match(noCard.json().type, /till-card-required$/);
    const unknown = await sell(
      saleBody([beer()], [cardPay(card, 300), { method: 'card', amountCents: 50, cardUid: '0A0B0C0D' }], card),
    );
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().type, /till-card-unknown$/);
    const fromBlocked = await sell(saleBody([beer()], [cardPay(card, 300), cardPay(blocked, 50)], card));
    assert.equal(fromBlocked.statusCode, 403);
    assert.match(fromBlocked.json().type, /till-card-blocked$/);
    assert.deepEqual((await snapshot()).slice(0, 3), before.slice(0, 3));
    assert.deepEqual([await w.balance(card, w.euro), await w.balance(blocked, w.euro)], [1000, 1000]);
  });
});

describe('till: what became of a sale (GET /api/v1/till/sales/{id})', () => {
  const status = (id: string, device = w.device, options: Parameters<typeof signedRequest>[5] = {}) =>
    signedRequest(t.app, device, 'GET', `/api/v1/till/sales/${id}`, undefined, options);

  test('a recorded sale gives its stored answer; an unknown one, another venue’s or a bad signature do not; nothing is run', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    const sold = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], card));
    assert.equal(sold.statusCode, 201, sold.body);
    const id = sold.json().sale.id as string;
    const before = await snapshot();
    const found = await status(id);
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual(found.json(), sold.json());
    assert.equal(found.headers['cache-control'], 'no-store');
    const unknown = await status(uuidv7());
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.match(unknown.json().type, /till-sale-unknown$/);
    const french = await status(uuidv7(), w.device, { language: 'fr' });
    assert.match(french.json().title, /non enregistrée/);
    const otherVenue = await w.pairDevice(w.ledger.venueB.id);
    const foreign = await status(id, otherVenue);
    assert.equal(foreign.statusCode, 404, foreign.body);
    assert.match(foreign.json().type, /till-sale-unknown$/);
    const path = `/api/v1/till/sales/${id}`;
    const forged = signDeviceRequest(otherVenue.privateKey, {
      placeId: w.placeId,
      deviceId: w.device.id,
      method: 'GET',
      path,
      body: '',
    });
    const bad = await status(id, w.device, { headers: forged });
    assert.equal(bad.statusCode, 401, bad.body);
    assert.match(bad.json().type, /ledger-device-signature$/);
    const unsigned = await t.app.inject({ method: 'GET', url: path });
    assert.equal(unsigned.statusCode, 401);
    const malformed = await status('not-a-uuid');
    assert.ok([400, 404, 422].includes(malformed.statusCode), malformed.body);
    // Only nonces were written (each signed request consumes one); no sale, transfer or journal line.
    const after = await snapshot();
    assert.deepEqual(after.slice(0, 3), before.slice(0, 3));
    assert.deepEqual(after.slice(4), before.slice(4));
    assert.equal(await w.balance(card, w.euro), 650);
    // A reversal's id gives the reversal's answer.
    const reversal = await reverse(id);
    assert.equal(reversal.statusCode, 201, reversal.body);
    const r = await status(reversal.json().sale.id);
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), reversal.json());
  });
});

describe(
  'till: concurrency (PostgreSQL)',
  { skip: onPostgres ? false : 'needs real concurrency: run with TEST_DATABASE_URL' },
  () => {
    test('two tills debiting the same card: never below zero, every answer consistent', async () => {
      const second = await w.pairDevice();
      const secondSession = (
        await signedRequest(t.app, second, 'POST', '/api/v1/till/open', { cardUid: w.cashier.card.uid })
      ).json().session;
      const card = await w.newCard();
      await w.fund(card, w.euro, 1000);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const device = i % 2 ? second : w.device;
          return sell(
            {
              ...saleBody([beer()], [{ method: 'card', amountCents: 350 }], card),
              session: i % 2 ? secondSession : session,
            },
            device,
          );
        }),
      );
      const ok = results.filter((r) => r.statusCode === 201);
      assert.equal(ok.length, 2, results.map((r) => r.statusCode).join(','));
      assert.ok(results.every((r) => r.statusCode === 201 || (r.statusCode === 422 && r.json().missing === 50)));
      assert.deepEqual(ok.map((r) => r.json().balances[0].amount).sort(), [300, 650]);
      assert.equal(await w.balance(card, w.euro), 300);
    });

    test('two tills, two cards in opposite roles (A then B / B then A): no deadlock, balances exact', async () => {
      const second = await w.pairDevice();
      const secondSession = (
        await signedRequest(t.app, second, 'POST', '/api/v1/till/open', { cardUid: w.cashier.card.uid })
      ).json().session;
      const a = await w.newCard();
      const b = await w.newCard();
      await w.fund(a, w.euro, 10_000);
      await w.fund(b, w.euro, 10_000);
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => {
          const [x, y] = i % 2 ? [b, a] : [a, b];
          const body = {
            ...saleBody(
              [beer()],
              [
                { method: 'card', amountCents: 100, cardUid: x.uid },
                { method: 'card', amountCents: 250, cardUid: y.uid },
              ] as Payment[],
              x,
            ),
            session: i % 2 ? secondSession : session,
          };
          return sell(body, i % 2 ? second : w.device);
        }),
      );
      assert.deepEqual(
        results.map((r) => r.statusCode),
        Array(16).fill(201),
        results.map((r) => r.body).join('\n'),
      );
      assert.equal(await w.balance(a, w.euro), 10_000 - 8 * 100 - 8 * 250);
      assert.equal(await w.balance(b, w.euro), 10_000 - 8 * 100 - 8 * 250);
      const check = await verifyJournal(t.db, w.placeId);
      assert.equal(check.ok, true);
    });

    test('the same sale sent three times at once: one sale, identical answers', async () => {
      const card = await w.newCard();
      await w.fund(card, w.euro, 1000);
      const body = saleBody([beer()], [{ method: 'card', amountCents: 350 }], card);
      const results = await Promise.all([sell(body), sell(body), sell(body)]);
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 200, 201]);
      assert.ok(results.every((r) => r.body === results[0]!.body));
      assert.equal(await w.balance(card, w.euro), 650);
      assert.equal(
        Number(
          (
            await t.db
              .selectFrom('till_sales')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('id', '=', body.id)
              .executeTakeFirstOrThrow()
          ).n,
        ),
        1,
      );
    });

    test('concurrent reversals of one sale: one wins, the balance is restored once', async () => {
      const card = await w.newCard();
      await w.fund(card, w.euro, 1000);
      const sale = (await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], card))).json();
      const results = await Promise.all(Array.from({ length: 5 }, () => reverse(sale.sale.id)));
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409]);
      assert.equal(await w.balance(card, w.euro), 1000);
      const check = await verifyJournal(t.db, w.placeId);
      assert.equal(check.ok, true);
    });
  },
);

// Last in this file: it closes the test point's day, after which that point sells nothing today.
test('after the point’s day is closed, its sales and reversals are refused and write nothing', async () => {
  const card = await w.newCard();
  await w.fund(card, w.euro, 1000);
  const sold = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], card));
  assert.equal(sold.statusCode, 201, sold.body);
  const day = sold.json().sale.businessDay as string;
  await closeDay(t.db, SYSTEM, { placeId: w.placeId, pointId: w.pointId, businessDay: day, countedCashCents: 0 });
  const before = await snapshot();
  const late = await sell(saleBody([beer()], [{ method: 'card', amountCents: 350 }], card));
  assert.equal(late.statusCode, 409, late.body);
  assert.match(late.json().type, /till-day-closed$/);
  const undo = await reverse(sold.json().sale.id);
  assert.equal(undo.statusCode, 409, undo.body);
  assert.deepEqual((await snapshot()).slice(0, 3), before.slice(0, 3));
  assert.equal(await w.balance(card, w.euro), 650);
});

describe('till: sales queued offline carry their time of sale', () => {
  const addDays = (day: string, n: number) => {
    const d = new Date(`${day}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };
  /** A point of sale of its own (its days get closed here), selling the beer. */
  async function newPoint() {
    const id = uuidv7();
    await t.db
      .insertInto('pos_points')
      .values({ place_id: w.placeId, id, name: `Point ${id.slice(-4)}` })
      .execute();
    await t.db
      .insertInto('pos_point_articles')
      .values({ place_id: w.placeId, point_id: id, article_id: w.articles.sale })
      .execute();
    return id;
  }
  const queued = (pointId: string, soldAt: Date | string, id = uuidv7()) => ({
    ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]),
    id,
    pointId,
    soldAt: typeof soldAt === 'string' ? soldAt : soldAt.toISOString(),
  });
  const linesOf = (saleId: string) =>
    t.db
      .selectFrom('till_journal')
      .select(['business_day', 'late_from_day', 'sold_at'])
      .where('sale_id', '=', saleId)
      .execute();

  test('booked on the business day it was sold on; if closed, on the next open day with a late mark; on that day’s closure', async (ctx) => {
    const point = await newPoint();
    const now = new Date();
    const zone = (
      await t.db.selectFrom('places').select('timezone').where('id', '=', w.placeId).executeTakeFirstOrThrow()
    ).timezone;
    // The venue's day starts 12 hours away from now, so the instants below (an hour ago, a few minutes
    // ago, now) share one business day whatever the time the suite runs at; put back afterwards.
    const localHour = Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(now),
    );
    const dayStartsAt = `${String((localHour + 12) % 24).padStart(2, '0')}:00:00`;
    const previous = await t.db
      .selectFrom('till_settings')
      .selectAll()
      .where('place_id', '=', w.placeId)
      .executeTakeFirst();
    await t.db
      .insertInto('till_settings')
      .values({ place_id: w.placeId, day_starts_at: dayStartsAt })
      .onConflict((oc) => oc.column('place_id').doUpdateSet({ day_starts_at: dayStartsAt }))
      .execute();
    ctx.after(async () => {
      if (previous) await t.db.updateTable('till_settings').set(previous).where('place_id', '=', w.placeId).execute();
      else await t.db.deleteFrom('till_settings').where('place_id', '=', w.placeId).execute();
    });
    const dayOf = (at: Date) => businessDayOf(at, zone, dayStartsAt);

    // Sold an hour ago, today's day open: booked today, not late; the time of sale is kept.
    const hourAgo = new Date(now.getTime() - 3600_000);
    const first = await sell(queued(point, hourAgo));
    assert.equal(first.statusCode, 201, first.body);
    const soldDay = dayOf(hourAgo);
    assert.equal(first.json().sale.businessDay, soldDay);
    assert.equal(first.json().sale.soldAt, hourAgo.toISOString());
    assert.equal(first.json().sale.lateFromDay, undefined);
    // Sold two days ago, that day never closed: booked on it, not on today.
    const twoDaysAgo = new Date(now.getTime() - 48 * 3600_000);
    const old = await sell(queued(point, twoDaysAgo));
    assert.equal(old.statusCode, 201, old.body);
    assert.equal(old.json().sale.businessDay, dayOf(twoDaysAgo));

    // The day closed; then a sale queued before the closure arrives: booked the next day, marked late.
    await closeDay(t.db, SYSTEM, { placeId: w.placeId, pointId: point, businessDay: soldDay, countedCashCents: 350 });
    // Sold one second after the first sale: on the same (now closed) business day, whatever the time of
    // day the test runs at (ten minutes ago could fall on the next business day after 04:00).
    const lateBody = queued(point, new Date(hourAgo.getTime() + 1000));
    assert.equal(dayOf(new Date(lateBody.soldAt)), soldDay);
    const late = await sell(lateBody);
    assert.equal(late.statusCode, 201, late.body);
    const next = addDays(soldDay, 1);
    assert.equal(late.json().sale.businessDay, next);
    assert.equal(late.json().sale.lateFromDay, soldDay);
    const lines = await linesOf(lateBody.id);
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.equal(l.business_day, next);
      assert.equal(l.late_from_day, soldDay);
      assert.equal(new Date(l.sold_at!).toISOString(), lateBody.soldAt);
    }
    const row = await t.db
      .selectFrom('till_sales')
      .select(['business_day', 'late_from_day', 'sold_at'])
      .where('id', '=', lateBody.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([row.business_day, row.late_from_day], [next, soldDay]);
    // The same request again: the same answer; the same id with another time of sale: a conflict.
    const again = await sell(lateBody);
    assert.equal(again.statusCode, 200);
    assert.equal(again.body, late.body);
    const moved = await sell({ ...lateBody, soldAt: new Date(now.getTime() - 700_000).toISOString() });
    assert.equal(moved.statusCode, 409);
    // A live sale (no time of sale) on the closed day is still refused.
    const live = await sell({ ...saleBody([beer()], [{ method: 'cash', amountCents: 350 }]), pointId: point });
    assert.equal(live.statusCode, 409);
    assert.match(live.json().type, /till-day-closed$/);
    assert.equal((await verifyJournal(t.db, w.placeId)).ok, true, 'the journal chain verifies with late lines');

    // The next day's closure (made tomorrow) shows the late sale.
    const tomorrow = new Date(now.getTime() + 24 * 3600_000);
    const closure = await closeDay(
      t.db,
      SYSTEM,
      { placeId: w.placeId, pointId: point, businessDay: next, countedCashCents: 350 },
      { now: tomorrow },
    );
    assert.deepEqual(closure.totals.late, {
      count: 1,
      amountCents: 350,
      days: [{ soldOn: soldDay, count: 1, amountCents: 350 }],
    });
    assert.equal(closure.totals.expectedCashCents, 350);
    // Both days closed: a sale of the first arrives → booked the day after the next.
    const later = await sell(queued(point, new Date(now.getTime() - 300_000)));
    assert.equal(later.statusCode, 201, later.body);
    assert.equal(later.json().sale.businessDay, addDays(soldDay, 2));
    assert.equal(later.json().sale.lateFromDay, soldDay);
    // A day without late sales has no `late` in its totals (closures made before keep their digest).
    const plain = await closeDay(t.db, SYSTEM, {
      placeId: w.placeId,
      pointId: point,
      businessDay: dayOf(twoDaysAgo),
      countedCashCents: 0,
    });
    assert.equal('late' in plain.totals, false);
  });

  test('the time of sale is bounded: at most 7 days old, at most 5 minutes ahead; nothing written', async () => {
    const point = await newPoint();
    const before = await snapshot();
    for (const soldAt of [
      new Date(Date.now() - 7 * 24 * 3600_000 - 60_000).toISOString(),
      new Date(Date.now() + 10 * 60_000).toISOString(),
      'yesterday',
      '2026-13-45T00:00:00Z',
    ]) {
      const r = await sell(queued(point, soldAt));
      assert.equal(r.statusCode, 422, `${soldAt}: ${r.body}`);
      assert.deepEqual(
        r.json().errors.map((e: { field: string }) => e.field),
        ['soldAt'],
      );
    }
    assert.deepEqual(await snapshot(), before);
    // Just inside the bounds: accepted.
    const sixDays = await sell(queued(point, new Date(Date.now() - 6 * 24 * 3600_000)));
    assert.equal(sixDays.statusCode, 201, sixDays.body);
    const skew = await sell(queued(point, new Date(Date.now() + 60_000)));
    assert.equal(skew.statusCode, 201, skew.body);
  });
});
