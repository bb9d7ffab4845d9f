// Counter top-ups are bounded per venue and currency: a line, a sale, a card per business day, the venue
// per business day (docs/POINTS-OF-SALE.md, "Top-up limits"; docs/TILL.md, "Counter top-ups").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import type { Currency } from '../ledger/ledger.ts';
import { uuidv7 } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { signedRequest, type TestCard, type TillDevice, type TillWorld, useTillNode } from './testFixtures.ts';

let t: TestNode;
let w: TillWorld;
let session: string;
let admin: Client;
let key: string;

useTillNode(async (opened) => {
  ({ t, w, session } = opened);
  const { email } = await t.db
    .selectFrom('people')
    .select('email')
    .where('id', '=', w.ledger.adminA.personId)
    .executeTakeFirstOrThrow();
  admin = await t.loginAs(email);
  key = (
    await createApiKey(t.db, w.ledger.adminA, { slug: w.ledger.venueA.slug, name: 'setup', scopes: ['place:write'] })
  ).secret;
});

const topUp = (card: TestCard, amountCents: number, article = w.articles.top_up, device: TillDevice = w.device) =>
  signedRequest(t.app, device, 'POST', '/api/v1/till/sales', {
    id: uuidv7(),
    session,
    pointId: w.pointId,
    cardUid: card.uid,
    items: [{ articleId: article, quantity: 1, amountCents }],
    payments: article === w.articles.gift_top_up ? [] : [{ method: 'cash', amountCents }],
  });
const minted = async (currency: Currency) =>
  Number(
    (
      await sql<{ n: string }>`select coalesce(sum(t.amount), 0)::text as n from ledger_transfers t
        join ledger_accounts a on a.id = t.debit_account_id
        where t.currency_id = ${currency.id}::uuid and a.owner_kind = 'system' and a.owner_ref = 'issuance'
          and t.kind = 'top_up'`.execute(t.db)
    ).rows[0]!.n,
  );
const limitsPath = (currency: Currency) => `/api/v1/places/${w.placeId}/pos/top-up-limits/${currency.id}`;
const setLimits = (currency: Currency, limits: Record<string, number>) =>
  withKey(t.app, key, 'PUT', limitsPath(currency), limits);

describe('top-up limits', () => {
  test('defaults: 500 € a line, 1 000 € a card per day; gift credit too; a reversal gives the room back; nothing written on a refusal', async () => {
    const card = await w.newCard();
    const before = await minted(w.euro);
    const big = await topUp(card, 50_001);
    assert.equal(big.statusCode, 422, big.body);
    assert.match(big.json().type, /till-top-up-line-limit$/);
    assert.equal(big.json().available, 50_000);
    assert.equal(await minted(w.euro), before, 'nothing minted');
    assert.equal((await topUp(card, 50_000)).statusCode, 201);
    const second = await topUp(card, 50_000);
    assert.equal(second.statusCode, 201, second.body);
    const third = await topUp(card, 1);
    assert.equal(third.statusCode, 422, third.body);
    assert.match(third.json().type, /till-top-up-card-day-limit$/);
    assert.equal(third.json().available, 0);
    assert.match((await topUp(card, 1)).json().detail, /100000/, 'the detail says the limit');
    assert.equal(await w.balance(card, w.euro), 100_000);
    // Another card of the same day still has its own room.
    assert.equal((await topUp(await w.newCard(), 30_000)).statusCode, 201);
    // The reversal of a top-up gives its room back.
    const other = await w.newCard();
    const sale = await topUp(other, 50_000);
    await topUp(other, 50_000);
    const reversed = await signedRequest(t.app, w.device, 'POST', `/api/v1/till/sales/${sale.json().sale.id}/reverse`, {
      id: uuidv7(),
      session,
    });
    assert.equal(reversed.statusCode, 201, reversed.body);
    assert.equal((await topUp(other, 50_000)).statusCode, 201);
    // Gift credit is minted for free: bounded the same way.
    const giftCard = await w.newCard();
    const gift = await topUp(giftCard, 50_001, w.articles.gift_top_up);
    assert.equal(gift.statusCode, 422, gift.body);
    assert.match(gift.json().type, /till-top-up-line-limit$/);
    assert.equal(await w.balance(giftCard, w.gift), 0);
  });

  test('the admin sets a currency’s limits (API and page); sale and venue-day limits; who may, and bad input', async () => {
    const page = await admin.request({ method: 'GET', url: `/venues/${w.ledger.venueA.slug}/admin/till/setup` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Plafonds des recharges/);
    assert.match(page.body, new RegExp(w.local.code));
    // The local euro: 200 € a line, 150 € a sale, 1 000 € a card per day, 400 € for the venue per day.
    const set = await setLimits(w.local, {
      lineMaxCents: 20_000,
      saleMaxCents: 15_000,
      cardDayMaxCents: 100_000,
      dayMaxCents: 40_000,
    });
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json(), {
      currencyId: w.local.id,
      code: w.local.code,
      name: w.local.name,
      kind: 'local_euro',
      lineMaxCents: 20_000,
      saleMaxCents: 15_000,
      cardDayMaxCents: 100_000,
      dayMaxCents: 40_000,
      custom: true,
    });
    const listed = (await withKey(t.app, key, 'GET', `/api/v1/places/${w.placeId}/pos`)).json().topUpLimits as {
      currencyId: string;
      lineMaxCents: number;
      custom: boolean;
    }[];
    assert.deepEqual(
      listed.find((l) => l.currencyId === w.local.id),
      { ...set.json() },
    );
    assert.equal(listed.find((l) => l.currencyId === w.euro.id)?.custom, false);
    assert.equal(listed.find((l) => l.currencyId === w.gift.id)?.lineMaxCents, 50_000);
    const local = (card: TestCard, cents: number) => topUp(card, cents, w.articles.localTopUp);
    const bySale = await local(await w.newCard(), 16_000);
    assert.match(bySale.json().type, /till-top-up-sale-limit$/, bySale.body);
    assert.equal(bySale.json().available, 15_000);
    const a = await w.newCard();
    const b = await w.newCard();
    const c = await w.newCard();
    assert.equal((await local(a, 15_000)).statusCode, 201);
    assert.equal((await local(b, 15_000)).statusCode, 201);
    const overDay = await local(c, 15_000);
    assert.equal(overDay.statusCode, 422, overDay.body);
    assert.match(overDay.json().type, /till-top-up-day-limit$/);
    assert.equal(overDay.json().available, 10_000);
    assert.equal((await local(c, 10_000)).statusCode, 201);
    assert.equal(await w.balance(c, w.local), 10_000);

    // The page form, in euros, with errors in French.
    const form = await admin.postForm(`/venues/${w.ledger.venueA.slug}/admin/till/setup/limits/${w.gift.id}`, {
      lineMax: '20',
      saleMax: '20,50',
      cardDayMax: 'beaucoup',
      dayMax: '1000',
    });
    assert.equal(form.statusCode, 422);
    assert.match(form.body, /aria-invalid="true"/);
    const saved = await admin.postForm(`/venues/${w.ledger.venueA.slug}/admin/till/setup/limits/${w.gift.id}`, {
      lineMax: '20',
      saleMax: '20,50',
      cardDayMax: '40',
      dayMax: '1 000',
    });
    assert.equal(saved.statusCode, 303, saved.body);
    const giftLimits = (await withKey(t.app, key, 'GET', `/api/v1/places/${w.placeId}/pos`))
      .json()
      .topUpLimits.find((l: { currencyId: string }) => l.currencyId === w.gift.id);
    assert.deepEqual(
      [giftLimits.lineMaxCents, giftLimits.saleMaxCents, giftLimits.cardDayMaxCents, giftLimits.dayMaxCents],
      [2000, 2050, 4000, 100_000],
    );

    // Bad input: each limit 1..MAX_AMOUNT_MINOR, integers; a currency the venue does not credit.
    for (const bad of [0, -1, 1.5, MAX_AMOUNT_MINOR + 1]) {
      const r = await setLimits(w.euro, { lineMaxCents: bad, saleMaxCents: 1, cardDayMaxCents: 1, dayMaxCents: 1 });
      assert.equal(r.statusCode, 422, `${bad}: ${r.body}`);
      assert.ok(r.json().errors.some((e: { field: string }) => e.field === 'lineMaxCents'));
    }
    const foreign = await setLimits(w.otherGift, {
      lineMaxCents: 1,
      saleMaxCents: 1,
      cardDayMaxCents: 1,
      dayMaxCents: 1,
    });
    assert.equal(foreign.statusCode, 422, foreign.body);
    // Who may: the venue's admins and its place:write keys; not its cashier, not another venue's admin.
    const cashierEmail = (
      await t.db.selectFrom('people').select('email').where('id', '=', w.cashier.personId).executeTakeFirstOrThrow()
    ).email;
    const cashier = await t.loginAs(cashierEmail);
    const refused = await cashier.api('PUT', limitsPath(w.euro), {
      lineMaxCents: 1,
      saleMaxCents: 1,
      cardDayMaxCents: 1,
      dayMaxCents: 1,
    });
    assert.equal(refused.statusCode, 403);
    const otherKey = (
      await createApiKey(t.db, personActor(w.ledger.adminA.personId), {
        slug: w.ledger.venueB.slug,
        name: 'b',
        scopes: ['place:write'],
      })
    ).secret;
    const elsewhere = await withKey(t.app, otherKey, 'PUT', limitsPath(w.euro), {
      lineMaxCents: 1,
      saleMaxCents: 1,
      cardDayMaxCents: 1,
      dayMaxCents: 1,
    });
    assert.equal(elsewhere.statusCode, 403);
    const euroRow = await t.db
      .selectFrom('till_top_up_limits')
      .select('line_max_cents')
      .where('currency_id', '=', w.euro.id)
      .execute();
    assert.deepEqual(euroRow, [], 'no refused request wrote');
    // A CHECK holds the bounds behind the use case.
    await assert.rejects(
      t.db
        .insertInto('till_top_up_limits')
        .values({
          place_id: w.placeId,
          currency_id: w.euro.id,
          line_max_cents: 0,
          sale_max_cents: 1,
          card_day_max_cents: 1,
          day_max_cents: 1,
        })
        .execute(),
      /check constraint/,
    );
  });

  describe(
    'under concurrency (PostgreSQL)',
    { skip: !onPostgres && 'needs real concurrency: run with TEST_DATABASE_URL' },
    () => {
      test('twenty tills topping up one card at once: its day never passes its limit; the venue’s day neither', async () => {
        const local = w.local;
        await setLimits(local, {
          lineMaxCents: 10_000,
          saleMaxCents: 10_000,
          cardDayMaxCents: 35_000,
          dayMaxCents: 300_000,
        });
        const card = await w.newCard();
        const tills = await Promise.all(Array.from({ length: 4 }, () => w.pairDevice()));
        const sessions = await Promise.all(
          tills.map(async (till) => {
            const opened = await signedRequest(t.app, till, 'POST', '/api/v1/till/open', {
              cardUid: w.cashier.card.uid,
            });
            return opened.json().session as string;
          }),
        );
        const before = await minted(local);
        const answers = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const till = tills[i % tills.length]!;
            return signedRequest(t.app, till, 'POST', '/api/v1/till/sales', {
              id: uuidv7(),
              session: sessions[i % tills.length],
              pointId: w.pointId,
              cardUid: card.uid,
              items: [{ articleId: w.articles.localTopUp, quantity: 1, amountCents: 5_000 }],
              payments: [{ method: 'cash', amountCents: 5_000 }],
            });
          }),
        );
        const ok = answers.filter((r) => r.statusCode === 201).length;
        assert.equal(ok, 7, answers.map((r) => r.statusCode).join(','));
        assert.ok(answers.every((r) => r.statusCode === 201 || /till-top-up-card-day-limit$/.test(r.json().type)));
        assert.equal(await w.balance(card, local), 35_000);
        assert.equal((await minted(local)) - before, 35_000);

        // The venue's day: 30 cards at once, 10 000 each, with 120 000 of room left in the day.
        const used = (await minted(local)) - before;
        await setLimits(local, {
          lineMaxCents: 10_000,
          saleMaxCents: 10_000,
          cardDayMaxCents: 35_000,
          dayMaxCents: (await dayTotal(local)) + 120_000,
        });
        const start = await minted(local);
        const cards = await Promise.all(Array.from({ length: 30 }, () => w.newCard()));
        const rush = await Promise.all(
          cards.map(async (c, i) => {
            const till = tills[i % tills.length]!;
            return signedRequest(t.app, till, 'POST', '/api/v1/till/sales', {
              id: uuidv7(),
              session: sessions[i % tills.length],
              pointId: w.pointId,
              cardUid: c.uid,
              items: [{ articleId: w.articles.localTopUp, quantity: 1, amountCents: 10_000 }],
              payments: [{ method: 'cash', amountCents: 10_000 }],
            });
          }),
        );
        assert.equal(rush.filter((r) => r.statusCode === 201).length, 12, rush.map((r) => r.statusCode).join(','));
        assert.equal((await minted(local)) - start, 120_000);
        assert.ok(used > 0);
      });
    },
  );
});

/** What the venue minted of a currency at its counters today (journal, as the limits count it). */
async function dayTotal(currency: Currency): Promise<number> {
  const { rows } = await sql<{ n: string }>`select coalesce(sum(unit_price_cents * quantity), 0)::text as n
    from till_journal where place_id = ${w.placeId}::uuid and kind = 'item'
      and article_kind in ('top_up', 'gift_top_up') and currency_code = ${currency.code}
      and business_day = (select max(business_day) from till_journal where place_id = ${w.placeId}::uuid)`.execute(
    t.db,
  );
  return Number(rows[0]!.n);
}
