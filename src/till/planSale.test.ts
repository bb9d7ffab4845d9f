/**
 * The sale's rules without a database (planSale.ts): every figure computed from the facts given,
 * every refusal by its code. The same rules run against a database in sales.test.ts and topUpLimits.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Card } from '../cards/cards.ts';
import type { Currency } from '../ledger/ledger.ts';
import type { MembershipProduct } from '../memberships/products.ts';
import { DomainError } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { derivedId } from './derivedId.ts';
import {
  checkTopUpLimits,
  planSale,
  priceSale,
  walletKey,
  type LockedAccount,
  type SaleArticle,
  type SaleFacts,
  type SalePaymentIn,
  type SaleRequest,
  type TopUpDay,
} from './planSale.ts';
import type { ArticleKind } from './tables.ts';
import { DEFAULT_TOP_UP_LIMITS } from './topUpLimits.ts';
import type { WalletBalance } from './wallet.ts';

const SALE = '0190a000-0000-7000-8000-000000000001';
const uuid = (n: number) => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;

const article = (n: number, kind: ArticleKind, priceCents: number | null, extra: Partial<SaleArticle> = {}) => ({
  id: uuid(100 + n),
  name: `${kind} ${n}`,
  kind,
  priceCents,
  vatRate: 20,
  currencyId: null,
  membershipProductId: null,
  categoryName: null,
  ...extra,
});
const EURO = { id: uuid(500), code: 'EUR-F', kind: 'federated_euro', euroBacked: true } as const;
const GIFT = { id: uuid(501), code: 'GIFT', kind: 'gift', euroBacked: false } as const;
const currency = (c: typeof EURO | typeof GIFT): Currency => ({
  ...c,
  name: c.code,
  decimals: 2,
  issuerFederationId: null,
  issuerPlaceId: null,
  status: 'active',
});

const beer = article(1, 'sale', 350);
const free = article(2, 'free', 0);
const open = article(3, 'sale', null);
const deposit = article(4, 'deposit', 100);
const depositReturn = article(5, 'deposit_return', 100);
const topUp = article(6, 'top_up', null, { currencyId: EURO.id });
const gift = article(7, 'gift_top_up', null, { currencyId: GIFT.id });
const cashOut = article(8, 'cash_out', null);
const membership = article(9, 'membership', 1500, { membershipProductId: uuid(900) });
const giftAsTopUp = article(10, 'top_up', null, { currencyId: GIFT.id });
const ARTICLES = new Map(
  [beer, free, open, deposit, depositReturn, topUp, gift, cashOut, membership, giftAsTopUp].map((a) => [a.id, a]),
);

const card = (n: number, personId: string | null = null): Card => ({
  id: uuid(200 + n),
  uid: `04A2B3C4D5E6${n}0`,
  number: `C-${n}`,
  status: 'active',
  personId,
});
const A = card(1);
const B = card(2);
const HOLDER = card(3, uuid(300));

/** A wallet account: `balance` cents, of which `available` can be spent. */
const account = (
  c: Card,
  cur: typeof EURO | typeof GIFT,
  balance: number,
  more: Partial<WalletBalance> = {},
): WalletBalance => ({
  accountId: `${c.number}/${cur.code}`,
  currencyId: cur.id,
  code: cur.code,
  name: cur.code,
  kind: cur.kind,
  decimals: 2,
  euroBacked: cur.euroBacked,
  issuerPlaceId: null,
  balance,
  available: balance,
  usableHere: true,
  ...more,
});

/** Facts as applySale reads them: the accounts locked as read unless `locked` says otherwise. */
function facts(wallets: [Card, WalletBalance[]][], more: Partial<SaleFacts> = {}): SaleFacts {
  const lockedAccounts = new Map<string, LockedAccount>();
  for (const [, list] of wallets)
    for (const b of list) lockedAccounts.set(b.accountId, { balance: b.balance, available: b.available });
  return {
    paymentMethods: ['card', 'cash', 'bank_card'],
    articles: ARTICLES,
    cards: new Map(wallets.map(([c]) => [c.uid, c])),
    wallets: new Map(wallets.map(([c, list]) => [walletKey(c), list])),
    venueAccounts: new Map([
      [EURO.id, 'venue/EUR-F'],
      [GIFT.id, 'venue/GIFT'],
    ]),
    lockedAccounts,
    payable: new Set([EURO.id]),
    currencies: new Map([
      [EURO.id, currency(EURO)],
      [GIFT.id, currency(GIFT)],
    ]),
    mintAccounts: new Map([
      [EURO.id, 'new/EUR-F'],
      [GIFT.id, 'new/GIFT'],
    ]),
    products: new Map([[uuid(900), { id: uuid(900), name: 'Adhésion' } as MembershipProduct]]),
    ...more,
  };
}

const item = (a: SaleArticle, quantity = 1, amountCents: number | null = null) => ({
  articleId: a.id,
  quantity,
  amountCents,
});
const cash = (amountCents: number, tenderedCents: number | null = null): SalePaymentIn => ({
  method: 'cash',
  amountCents,
  tenderedCents,
  cardUid: null,
});
const byCard = (c: Card, amountCents: number): SalePaymentIn => ({
  method: 'card',
  amountCents,
  tenderedCents: null,
  cardUid: c.uid,
});
const sale = (
  items: SaleRequest['items'],
  payments: SalePaymentIn[],
  more: Partial<SaleRequest> = {},
): SaleRequest => ({ id: SALE, cardUid: null, items, payments, cashBackCents: null, ...more });

/** Asserts the refusal's code (and params/fields when given). */
function refused(run: () => unknown, code: string, params?: Record<string, unknown>, fields?: unknown[]) {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.code, code);
    if (params) assert.deepEqual(e.params, params);
    if (fields) assert.deepEqual(e.fields, fields);
    return true;
  });
}

describe('planSale: pricing and totals', () => {
  test('fixed prices × quantity, typed amounts, free and gift lines at 0, deposit returns negative; change from tendered cash', () => {
    const plan = planSale(
      sale(
        [item(beer, 3), item(open, 2, 125), item(free, 4), item(deposit, 2), item(depositReturn, 1)],
        [cash(1400, 2000)],
      ),
      facts([]),
    );
    assert.deepEqual(
      plan.lines.map((l) => [l.kind, l.quantity, l.unitPriceCents, l.amountCents]),
      [
        ['sale', 3, 350, 1050],
        ['sale', 2, 125, 250],
        ['free', 4, 0, 0],
        ['deposit', 2, 100, 200],
        ['deposit_return', 1, 100, -100],
      ],
    );
    assert.equal(plan.total, 1050 + 250 + 200 - 100);
    assert.equal(plan.changeCents, 600);
    assert.deepEqual(plan.payments, [{ method: 'cash', amountCents: 1400, currency: null, transferId: null }]);
    assert.equal(plan.card, null);
    assert.deepEqual(plan.cardTransfers, []);
  });

  test('each item refused by field, all at once: not at this point, amount required, amount fixed, one per line, line too large', () => {
    refused(
      () =>
        priceSale(
          sale(
            [
              { articleId: uuid(999), quantity: 1, amountCents: null },
              item(open),
              item(beer, 1, 100),
              item(topUp, 2, 1000),
              item(open, 2, MAX_AMOUNT_MINOR),
            ],
            [],
          ),
          { paymentMethods: ['cash'], articles: ARTICLES },
        ),
      'validation',
      {},
      [
        { field: 'items.0.articleId', message: 'choice' },
        { field: 'items.1.amountCents', message: 'required' },
        { field: 'items.2.amountCents', message: 'till.amount-fixed' },
        { field: 'items.3.quantity', message: 'till.quantity-one' },
        { field: 'items.4.quantity', message: 'range', params: { min: 1, max: 999 } },
      ],
    );
  });

  test('the total is bounded; payments add up to it; methods of the point', () => {
    const point = { paymentMethods: ['cash' as const], articles: ARTICLES };
    refused(() => priceSale(sale([item(open, 1, MAX_AMOUNT_MINOR), item(beer)], [cash(1)]), point), 'validation', {}, [
      { field: 'items', message: 'till.total-range', params: { max: MAX_AMOUNT_MINOR } },
    ]);
    refused(() => priceSale(sale([item(beer, 2)], [cash(600)]), point), 'till-unbalanced', { total: 700, paid: 600 });
    refused(() => priceSale(sale([item(beer)], [byCard(A, 350)]), point), 'till-payment-method', { method: 'card' });
    refused(() => priceSale(sale([item(topUp, 1, 500), item(cashOut, 1, 500)], []), point), 'till-one-counter-article');
  });
});

describe('planSale: card payments', () => {
  test('split card + cash: the card pays gift, then euro; balances after; one transfer per currency to the venue', () => {
    const wallet = [account(A, GIFT, 200), account(A, EURO, 1000)];
    const plan = planSale(sale([item(beer, 3)], [byCard(A, 700), cash(350)], { cardUid: A.uid }), facts([[A, wallet]]));
    assert.deepEqual(plan.payments, [
      { method: 'card', amountCents: 200, currency: 'GIFT', transferId: derivedId(SALE, 'pay:0') },
      { method: 'card', amountCents: 500, currency: 'EUR-F', transferId: derivedId(SALE, 'pay:1') },
      { method: 'cash', amountCents: 350, currency: null, transferId: null },
    ]);
    assert.deepEqual(
      plan.cardTransfers.map((t) => [t.debitAccountId, t.creditAccountId, t.amount, t.metadata]),
      [
        ['C-1/GIFT', 'venue/GIFT', 200, { sale: SALE, card: A.id }],
        ['C-1/EUR-F', 'venue/EUR-F', 500, { sale: SALE, card: A.id }],
      ],
    );
    assert.deepEqual(
      plan.balancesAfter.map((b) => [b.code, b.balance]),
      [
        ['GIFT', 0],
        ['EUR-F', 500],
      ],
    );
    assert.equal(plan.card, A);
    assert.deepEqual(plan.otherCards, []);
  });

  test('a short card is refused with what it lacks; a currency not usable here does not pay; checked again as locked', () => {
    const wallet = [account(A, GIFT, 500, { usableHere: false }), account(A, EURO, 300)];
    refused(() => planSale(sale([item(beer)], [byCard(A, 350)]), facts([[A, wallet]])), 'till-insufficient-funds', {
      missing: 50,
      card: 'C-1',
    });
    // Read with 400, but a payment elsewhere left 320 by the time the account was locked.
    const read = [account(A, EURO, 400)];
    const f = facts([[A, read]]);
    const locked = new Map(f.lockedAccounts).set('C-1/EUR-F', { balance: 320, available: 320 });
    refused(
      () => planSale(sale([item(beer)], [byCard(A, 350)]), { ...f, lockedAccounts: locked }),
      'till-insufficient-funds',
      { missing: 30, card: 'C-1' },
    );
    // As locked, the balance shown after is the locked one less the payment (pending debits not spent).
    const pending = new Map(f.lockedAccounts).set('C-1/EUR-F', { balance: 500, available: 400 });
    const plan = planSale(sale([item(beer)], [byCard(A, 350)]), { ...f, lockedAccounts: pending });
    assert.deepEqual(
      plan.balancesAfter.map((b) => [b.code, b.balance]),
      [['EUR-F', 150]],
    );
  });

  test('two cards: each pays its own, the same card named twice is one debit, the other card shown after; the first short card named', () => {
    const f = facts([
      [A, [account(A, EURO, 400)]],
      [B, [account(B, EURO, 1000)]],
    ]);
    const plan = planSale(sale([item(beer, 3)], [byCard(A, 200), byCard(B, 650), byCard(A, 200)]), f);
    assert.deepEqual(
      plan.cardTransfers.map((t) => [t.debitAccountId, t.amount]),
      [
        ['C-1/EUR-F', 400],
        ['C-2/EUR-F', 650],
      ],
    );
    assert.equal(plan.card, A);
    assert.deepEqual(
      plan.balancesAfter.map((b) => b.balance),
      [0],
    );
    assert.deepEqual(
      plan.otherCards.map((c) => [c.number, c.balances.map((b) => b.amount)]),
      [['C-2', [350]]],
    );
    refused(() => planSale(sale([item(beer, 4)], [byCard(A, 300), byCard(B, 1100)]), f), 'till-insufficient-funds', {
      missing: 100,
      card: 'C-2',
    });
  });

  test('two cards of one holder share a wallet: what the first takes is not offered to the second', () => {
    const other = card(4, HOLDER.personId);
    const wallet = [account(HOLDER, EURO, 500)];
    const f = facts([
      [HOLDER, wallet],
      [other, wallet],
    ]);
    refused(
      () => planSale(sale([item(beer, 2)], [byCard(HOLDER, 400), byCard(other, 300)]), f),
      'till-insufficient-funds',
      { missing: 200, card: 'C-4' },
    );
  });

  test('a card payment without a card, and a counter article without a card, need one', () => {
    const point = { paymentMethods: ['card' as const, 'cash' as const], articles: ARTICLES };
    refused(() => priceSale(sale([item(beer)], [{ ...byCard(A, 350), cardUid: null }]), point), 'till-card-required');
    refused(() => priceSale(sale([item(topUp, 1, 1000)], [cash(1000)]), point), 'till-card-required');
    refused(() => priceSale(sale([item(membership)], [cash(1500)]), point), 'till-card-required');
  });
});

describe('planSale: top-ups, gift credit, cash-outs and money given back', () => {
  test('a top-up mints on the card against the payment: cash or the card terminal, with its reference', () => {
    const wallet = [account(A, EURO, 300)];
    const plan = planSale(
      sale([item(topUp, 1, 2000)], [{ ...cash(2000), method: 'bank_card' }], { cardUid: A.uid }),
      // The wallet has an account of the currency already: the mint goes to it.
      { ...facts([[A, wallet]]), mintAccounts: new Map([[EURO.id, 'C-1/EUR-F']]) },
    );
    assert.equal(plan.total, 2000);
    assert.deepEqual(
      plan.mints.map((m) => [m.accountId, m.amount, m.payment, m.id]),
      [['C-1/EUR-F', 2000, { provider: 'card_terminal', reference: `till:${SALE}:0` }, derivedId(SALE, 'mint')]],
    );
    assert.deepEqual(plan.counterMints, [{ currencyId: EURO.id, code: 'EUR-F', lines: [2000] }]);
    assert.deepEqual(plan.walletMoves, [{ currency: 'EUR-F', amount: 2000, transferId: derivedId(SALE, 'mint') }]);
    assert.deepEqual(
      plan.balancesAfter.map((b) => [b.code, b.balance]),
      [['EUR-F', 2300]],
    );
    assert.deepEqual(plan.itemTransfers.get(0), { transferId: derivedId(SALE, 'mint'), currency: 'EUR-F' });
  });

  test('gift credit: 0 € in the sale, minted on a new account without payment reference; only a gift currency', () => {
    const plan = planSale(sale([item(gift, 1, 1500)], [], { cardUid: A.uid }), facts([[A, []]]));
    assert.equal(plan.total, 0);
    assert.deepEqual(plan.payments, []);
    assert.deepEqual(
      plan.mints.map((m) => [m.accountId, m.amount, m.payment]),
      [['new/GIFT', 1500, null]],
    );
    assert.deepEqual(
      plan.balancesAfter.map((b) => [b.accountId, b.code, b.balance, b.usableHere]),
      [['new/GIFT', 'GIFT', 1500, true]],
    );
    refused(
      () => planSale(sale([item(giftAsTopUp, 1, 1500)], [cash(1500)], { cardUid: A.uid }), facts([[A, []]])),
      'till-currency-not-accepted',
      { currency: 'GIFT' },
    );
  });

  test('a top-up is paid in one method, never by card, never with anything given back', () => {
    const point = { paymentMethods: ['card' as const, 'cash' as const, 'bank_card' as const], articles: ARTICLES };
    const one = { cardUid: A.uid };
    refused(() => priceSale(sale([item(topUp, 1, 1000)], [byCard(A, 1000)], one), point), 'till-top-up-payment');
    refused(
      () => priceSale(sale([item(topUp, 1, 1000)], [cash(500), { ...cash(500), method: 'bank_card' }], one), point),
      'till-top-up-payment',
    );
    refused(
      () => priceSale(sale([item(topUp, 1, 1000), item(depositReturn)], [cash(900)], one), point),
      'till-top-up-payment',
    );
  });

  test('a cash-out burns euro the venue may pay out, never gift; the rest of the sale comes out of it as cash given back', () => {
    const wallet = [account(A, GIFT, 5000), account(A, EURO, 3000)];
    const plan = planSale(sale([item(beer), item(cashOut, 1, 2000)], [], { cardUid: A.uid, cashBackCents: 1650 }), {
      ...facts([[A, wallet]]),
    });
    assert.equal(plan.total, -1650);
    assert.deepEqual(plan.payments, [{ method: 'cash', amountCents: -1650, currency: null, transferId: null }]);
    assert.deepEqual(plan.cashOut?.burns, [
      { accountId: 'C-1/EUR-F', code: 'EUR-F', amount: 2000, id: derivedId(SALE, 'cash-out:0') },
    ]);
    assert.deepEqual(
      plan.balancesAfter.map((b) => [b.code, b.balance]),
      [
        ['GIFT', 5000],
        ['EUR-F', 1000],
      ],
    );
    // Not payable here (another venue's local euro, say): nothing to pay out.
    refused(
      () =>
        planSale(sale([item(cashOut, 1, 2000)], [], { cardUid: A.uid, cashBackCents: 2000 }), {
          ...facts([[A, wallet]]),
          payable: new Set(),
        }),
      'till-cash-out-exceeds',
      { available: 0 },
    );
    refused(
      () => planSale(sale([item(cashOut, 1, 3001)], [], { cardUid: A.uid, cashBackCents: 3001 }), facts([[A, wallet]])),
      'till-cash-out-exceeds',
      { available: 3000 },
    );
  });

  test('cash given back: only for a negative total, equal to it, with no payment (readSaleInput), at a point taking cash', () => {
    const point = { paymentMethods: ['cash' as const], articles: ARTICLES };
    const back = priceSale(sale([item(depositReturn, 3)], [], { cashBackCents: 300 }), point);
    assert.equal(back.total, -300);
    refused(() => priceSale(sale([item(beer)], [], { cashBackCents: 350 }), point), 'validation', {}, [
      { field: 'cashBackCents', message: 'till.cash-back-total' },
    ]);
    refused(() => priceSale(sale([item(depositReturn, 3)], [], { cashBackCents: 200 }), point), 'till-unbalanced', {
      total: -300,
      paid: -200,
    });
    refused(() => priceSale(sale([item(depositReturn, 3)], []), point), 'till-unbalanced', { total: -300, paid: 0 });
    refused(
      () =>
        priceSale(sale([item(depositReturn, 3)], [], { cashBackCents: 300 }), {
          paymentMethods: ['card'],
          articles: ARTICLES,
        }),
      'till-payment-method',
      { method: 'cash' },
    );
  });

  test('a membership is sold to a linked card only, of a product still offered', () => {
    const f = facts([
      [HOLDER, []],
      [A, []],
    ]);
    const plan = planSale(sale([item(membership)], [cash(1500)], { cardUid: HOLDER.uid }), f);
    assert.deepEqual(
      plan.memberships.map((m) => [m.product.name, m.line.amountCents]),
      [['Adhésion', 1500]],
    );
    refused(
      () => planSale(sale([item(membership)], [cash(1500)], { cardUid: A.uid }), f),
      'till-membership-needs-holder',
    );
    refused(
      () =>
        planSale(sale([item(membership)], [cash(1500)], { cardUid: HOLDER.uid }), {
          ...f,
          products: new Map([[uuid(900), null]]),
        }),
      'validation',
      {},
      [{ field: 'items', message: 'choice' }],
    );
  });
});

describe('checkTopUpLimits', () => {
  const day = (daySoFar: number, cardDaySoFar: number, limits = DEFAULT_TOP_UP_LIMITS): Map<string, TopUpDay> =>
    new Map([[EURO.id, { limits: { ...limits }, daySoFar, cardDaySoFar }]]);
  const mint = (...lines: number[]) => [{ currencyId: EURO.id, code: 'EUR-F', lines }];

  test('within every limit: nothing refused (defaults 500 € a line and a sale, 1 000 € a card-day, 100 000 € a day)', () => {
    checkTopUpLimits(mint(50_000), day(9_950_000, 50_000), true);
  });

  test('per line, per sale, per card and business day (only with a card), per venue and business day: max and available', () => {
    refused(() => checkTopUpLimits(mint(50_001), day(0, 0), true), 'till-top-up-line-limit', {
      currency: 'EUR-F',
      max: 50_000,
      available: 50_000,
    });
    const limits = { ...DEFAULT_TOP_UP_LIMITS, saleMaxCents: 30_000 };
    refused(() => checkTopUpLimits(mint(20_000, 20_000), day(0, 0, limits), true), 'till-top-up-sale-limit', {
      currency: 'EUR-F',
      max: 30_000,
      available: 30_000,
    });
    refused(() => checkTopUpLimits(mint(30_000), day(0, 80_000), true), 'till-top-up-card-day-limit', {
      currency: 'EUR-F',
      max: 100_000,
      available: 20_000,
    });
    checkTopUpLimits(mint(30_000), day(0, 80_000), false);
    refused(() => checkTopUpLimits(mint(30_000), day(9_990_000, 0), true), 'till-top-up-day-limit', {
      currency: 'EUR-F',
      max: 10_000_000,
      available: 10_000,
    });
    // Already past (a limit lowered since): available is 0, never negative.
    refused(() => checkTopUpLimits(mint(100), day(0, 120_000), true), 'till-top-up-card-day-limit', {
      currency: 'EUR-F',
      max: 100_000,
      available: 0,
    });
  });
});
