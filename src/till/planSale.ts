/**
 * The rules of a sale at a till (docs/TILL.md), as pure functions: no database, no clock, no I/O. They
 * take the sale as read by `readSaleInput` and the facts `applySale` (applySale.ts) read from the
 * database under the sale's locks, and return the plan of what to write — or throw the DomainError the
 * sale is refused with, the checks in a fixed order (the order the till and the tests rely on).
 *
 * `applySale` asks `priceSale` which cards to lock and `planCardPayments` which accounts to lock (the
 * documented lock order), then runs the whole `planSale` over every fact and only writes. The top-up
 * limits of the card's and venue's business day are checked last (`checkTopUpLimits`), on sums read
 * under the venue's journal lock, which is taken after the ledger writes.
 */
import { walletOwnerOf, type Card } from '../cards/index.ts';
import { planCashOut, type CashOutSource, type TransferSpec, type Currency } from '../ledger/index.ts';
import type { MembershipProduct } from '../memberships/index.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR as MAX_AMOUNT } from '../shared/money.ts';
import { derivedId } from './derivedId.ts';
import { presentBalances, type SaleBody, type SaleItemOut, type SalePaymentOut } from './sales.ts';
import type { ArticleKind, PaymentMethod } from './tables.ts';
import type { TopUpLimits } from './topUpLimits.ts';
import { sortWallet, type WalletBalance } from './wallet.ts';
import {
  CARD_KINDS,
  COUNTER_KINDS,
  MAX_QUANTITY,
  ONE_PER_LINE_KINDS,
  changeCents as changeOf,
  lineAmountCents,
} from '../shared/tillRules.js';

// The kinds' rules and a sale's limits are shared with the till in the browser (src/shared/tillRules.js).
export { MAX_QUANTITY };

export interface SaleItemIn {
  articleId: string;
  quantity: number;
  amountCents: number | null;
}
export interface SalePaymentIn {
  method: PaymentMethod;
  amountCents: number;
  tenderedCents: number | null;
  /** The card paying (card payments only): the one named on the payment, else the sale's card. */
  cardUid: string | null;
}
/** A sale as the till sent it, its shape already checked (`readSaleInput`). */
export interface SaleRequest {
  id: string;
  cardUid: string | null;
  items: SaleItemIn[];
  payments: SalePaymentIn[];
  cashBackCents: number | null;
}

/** An article of the point of sale, as it is now (frozen into the journal). */
export interface SaleArticle {
  id: string;
  name: string;
  kind: ArticleKind;
  priceCents: number | null;
  vatRate: number;
  currencyId: string | null;
  membershipProductId: string | null;
  categoryName: string | null;
}

export interface PricedLine extends SaleItemOut {
  vatRate: number;
  category: string | null;
  currencyId: string | null;
  productId: string | null;
}

export interface PricedSale {
  lines: PricedLine[];
  /** Signed: + money in, − cash given back. */
  total: number;
  cardPaid: number;
  /** The payment methods used, first use first. */
  methods: PaymentMethod[];
  changeCents: number;
  /** The sale's card (`cardUid`, else the first card paying) and every card paying, in payment order. */
  saleUid: string | null;
  payerUids: string[];
}

/** 422 `till-insufficient-funds`: how much this card lacks (`missing`, cents) and which card (`card`, its number). */
const insufficientFunds = (missing: number, card: Card) =>
  new DomainError('till-insufficient-funds', 422, { missing, card: card.number });

/** The key of a wallet: two cards of one holder share it. */
export const walletKey = (card: Card) => {
  const o = walletOwnerOf(card);
  return `${o.ownerKind}:${o.ownerRef}`;
};

/**
 * Prices the lines and checks the money of a sale before any card is read: the articles' rules
 * (`items.<i>` validation), the total's bound, one counter article, the point's payment methods, money
 * in or money out (docs/TILL.md, "Money given back"), a top-up paid in one method, a card where one is needed.
 */
export function priceSale(
  request: SaleRequest,
  point: { paymentMethods: readonly PaymentMethod[]; articles: ReadonlyMap<string, SaleArticle> },
): PricedSale {
  const errors = new FieldErrors();
  const lines: PricedLine[] = [];
  request.items.forEach((item, i) => {
    const a = point.articles.get(item.articleId);
    if (!a) return errors.add(`items.${i}.articleId`, 'choice');
    const price = a.priceCents;
    if (price === null && item.amountCents === null) return errors.add(`items.${i}.amountCents`, 'required');
    if (price !== null && item.amountCents !== null) return errors.add(`items.${i}.amountCents`, 'till.amount-fixed');
    if (ONE_PER_LINE_KINDS.includes(a.kind) && item.quantity !== 1)
      return errors.add(`items.${i}.quantity`, 'till.quantity-one');
    const unit = price ?? item.amountCents!;
    if (COUNTER_KINDS.includes(a.kind) && unit <= 0)
      return errors.add(`items.${i}.amountCents`, 'range', { min: 1, max: MAX_AMOUNT });
    const amount = lineAmountCents(a.kind, unit, item.quantity);
    if (Math.abs(amount) > MAX_AMOUNT) return errors.add(`items.${i}.quantity`, 'range', { min: 1, max: MAX_QUANTITY });
    lines.push({
      articleId: a.id,
      name: a.name,
      kind: a.kind,
      quantity: item.quantity,
      unitPriceCents: unit,
      amountCents: amount,
      vatRate: a.vatRate,
      category: a.categoryName,
      currencyId: a.currencyId,
      productId: a.membershipProductId,
    });
  });
  errors.throwIfAny();
  const total = lines.reduce((n, l) => n + l.amountCents, 0);
  // A sale is one money input: its total is bounded like any amount (docs/TILL.md, "Amounts").
  if (Math.abs(total) > MAX_AMOUNT)
    throw new DomainError('validation', 422, {}, [
      { field: 'items', message: 'till.total-range', params: { max: MAX_AMOUNT } },
    ]);

  const counter = lines.filter((l) => COUNTER_KINDS.includes(l.kind));
  if (counter.length > 1) throw new DomainError('till-one-counter-article', 422);
  const paid = request.payments.reduce((n, p) => n + p.amountCents, 0);
  for (const p of request.payments) {
    if (!point.paymentMethods.includes(p.method))
      throw new DomainError('till-payment-method', 422, { method: p.method });
  }
  // Money in (payments, all positive, add up to the total) or money out (cash given back = −total,
  // no payment): never both, so no payment is offset by another (docs/TILL.md, "Money given back").
  const cashBack = request.cashBackCents;
  if (cashBack !== null) {
    if (total >= 0)
      throw new DomainError('validation', 422, {}, [{ field: 'cashBackCents', message: 'till.cash-back-total' }]);
    if (cashBack !== -total) throw new DomainError('till-unbalanced', 422, { total, paid: -cashBack });
    if (!point.paymentMethods.includes('cash')) throw new DomainError('till-payment-method', 422, { method: 'cash' });
  } else if (paid !== total) throw new DomainError('till-unbalanced', 422, { total, paid });
  const cardPaid = request.payments.filter((p) => p.method === 'card').reduce((n, p) => n + p.amountCents, 0);
  if (counter.length > 0 && cardPaid > 0) throw new DomainError('till-top-up-payment', 422);
  const methods = [...new Set(request.payments.map((p) => p.method))];
  // A top-up is minted against what was received: one method, and nothing given back in its sale.
  if (counter.some((l) => l.kind === 'top_up') && (methods.length !== 1 || lines.some((l) => l.amountCents < 0)))
    throw new DomainError('till-top-up-payment', 422);
  const changeCents = request.payments.reduce(
    (n, p) => n + (p.method === 'cash' ? changeOf(p.amountCents, p.tenderedCents) : 0),
    0,
  );

  // The cards: the sale's (`cardUid`, else the first card paying: the one the sale row keeps, whose
  // wallet the answer shows and that top-ups, memberships and cash-outs are for) and every card paying.
  if (request.payments.some((p) => p.method === 'card' && !p.cardUid)) throw new DomainError('till-card-required', 422);
  const payerUids = [...new Set(request.payments.flatMap((p) => (p.method === 'card' ? [p.cardUid!] : [])))];
  const saleUid = request.cardUid ?? payerUids[0] ?? null;
  const needsCard = lines.some((l) => CARD_KINDS.includes(l.kind));
  if (needsCard && !saleUid) throw new DomainError('till-card-required', 422);
  return { lines, total, cardPaid, methods, changeCents, saleUid, payerUids };
}

/** A card payment's share taken from one account of a wallet. */
export interface CardPart {
  accountId: string;
  currencyId: string;
  code: string;
  amount: number;
  card: Card;
}

/**
 * How each card pays: the sum of its payments (a card named twice is one debit) from its wallet's
 * usable currencies in order gift → local → federated (invariant 4), cards in the order of the
 * payments. Two cards of one holder share a wallet: what the first takes is not offered again. The
 * first card that cannot pay → `till-insufficient-funds` naming it.
 */
export function planCardPayments(
  request: Pick<SaleRequest, 'payments'>,
  cards: ReadonlyMap<string, Card>,
  wallets: ReadonlyMap<string, readonly WalletBalance[]>,
): CardPart[] {
  const dues = new Map<string, number>();
  for (const p of request.payments)
    if (p.method === 'card') dues.set(p.cardUid!, (dues.get(p.cardUid!) ?? 0) + p.amountCents);
  const taken = new Map<string, number>();
  const parts: CardPart[] = [];
  for (const [uid, due] of dues) {
    const payer = cards.get(uid)!;
    let left = due;
    for (const b of wallets.get(walletKey(payer))!) {
      if (left === 0) break;
      const free = b.usableHere ? b.available - (taken.get(b.accountId) ?? 0) : 0;
      if (free <= 0) continue;
      const amount = Math.min(left, free);
      parts.push({ accountId: b.accountId, currencyId: b.currencyId, code: b.code, amount, card: payer });
      taken.set(b.accountId, (taken.get(b.accountId) ?? 0) + amount);
      left -= amount;
    }
    if (left > 0) throw insufficientFunds(left, payer);
  }
  return parts;
}

/** An account of a card payment as locked (`FOR UPDATE`): its balance and what can be spent (balance − pending − floor). */
export interface LockedAccount {
  balance: number;
  available: number;
}

/** Everything a sale's rules need, read by applySale under the sale's locks. */
export interface SaleFacts {
  /** The point's payment methods and its articles sold in this sale (missing: not sold at this point). */
  paymentMethods: readonly PaymentMethod[];
  articles: ReadonlyMap<string, SaleArticle>;
  /** Every card of the sale by UID, locked, none unknown or blocked (refused when locked). */
  cards: ReadonlyMap<string, Card>;
  /** The wallets of the sale's card and of every card paying, by `walletKey`, in payment order. */
  wallets: ReadonlyMap<string, readonly WalletBalance[]>;
  /** The venue's account of each currency a card pays in. */
  venueAccounts: ReadonlyMap<string, string>;
  /** The card payment's accounts, wallets' and venue's, as locked. */
  lockedAccounts: ReadonlyMap<string, LockedAccount>;
  /** Of the sale wallet's currencies, those the venue may pay out in cash (payableAtCounter). */
  payable: ReadonlySet<string>;
  /** The currency of each top-up or gift article sold, and the sale wallet's account of it. */
  currencies: ReadonlyMap<string, Currency>;
  mintAccounts: ReadonlyMap<string, string>;
  /** The membership product of each membership article sold (null: no longer offered). */
  products: ReadonlyMap<string, MembershipProduct | null>;
}

/** What a sale mints, per currency (top-up and gift lines): checked against the venue's limits. */
export interface CounterMint {
  currencyId: string;
  code: string;
  /** Each line's amount, in cents. */
  lines: number[];
}

export interface PlannedMint {
  lineIndex: number;
  id: string;
  currency: Currency;
  accountId: string;
  amount: number;
  /** A top-up's payment reference (null for gift credit: no euro received). */
  payment: { provider: 'cash' | 'card_terminal'; reference: string } | null;
}

export interface PlannedCashOut {
  lineIndex: number;
  amount: number;
  sources: CashOutSource[];
  /** The burns, each with its transfer id `derivedId(sale, 'cash-out:<i>')`. */
  burns: { accountId: string; code: string; amount: number; id: string }[];
  reference: string;
}

export interface SalePlan extends PricedSale {
  card: Card | null;
  /** One ledger payment per card part (wallet account → venue account). */
  cardTransfers: TransferSpec[];
  /** The answer's payment lines: card parts, then cash and bank card as sent, then the cash given back (−). */
  payments: SalePaymentOut[];
  cashOut: PlannedCashOut | null;
  mints: PlannedMint[];
  /** Per currency, for checkTopUpLimits. */
  counterMints: CounterMint[];
  memberships: { line: PricedLine; product: MembershipProduct }[];
  /** Each line's ledger transfer (counter articles). */
  itemTransfers: Map<number, { transferId: string; currency: string }>;
  walletMoves: SaleBody['wallet'];
  /** The sale card's wallet after the sale (its payment order), and the other paying wallets. */
  balancesAfter: WalletBalance[];
  otherCards: NonNullable<SaleBody['otherCards']>;
}

/**
 * The whole sale: priced lines and totals, how each card pays (checked again on the locked accounts:
 * a wallet may have moved since it was read), what a cash-out burns, what a top-up or gift credit
 * mints, the memberships sold, and every wallet after the sale. Refusals in this order: priceSale's,
 * `till-insufficient-funds` (planned, then locked), `till-cash-out-exceeds`, `till-currency-not-accepted`,
 * `till-membership-needs-holder`, `validation` (product gone).
 */
export function planSale(request: SaleRequest, facts: SaleFacts): SalePlan {
  const priced = priceSale(request, facts);
  const card = priced.saleUid ? facts.cards.get(priced.saleUid)! : null;
  const wallet = card ? facts.wallets.get(walletKey(card))! : [];
  // The wallet after the sale, from the rows read under the card's lock (and, for a card payment,
  // under the accounts' locks).
  const after = new Map(wallet.map((b) => [b.accountId, { ...b }]));
  const move = (accountId: string, delta: number) => {
    const b = after.get(accountId);
    if (b) b.balance += delta;
  };
  const payments: SalePaymentOut[] = [];
  const otherCards: SalePlan['otherCards'] = [];
  const cardTransfers: TransferSpec[] = [];
  if (priced.cardPaid > 0) {
    const parts = planCardPayments(request, facts.cards, facts.wallets);
    checkLockedBalances(parts, facts.lockedAccounts);
    for (const p of parts) {
      const shown = after.get(p.accountId);
      if (shown) shown.balance = facts.lockedAccounts.get(p.accountId)!.balance;
    }
    for (const p of parts) move(p.accountId, -p.amount);
    // The other payers' wallets after the sale, from the same locked rows (one entry per wallet).
    const shownWallets = new Set(card ? [walletKey(card)] : []);
    for (const uid of priced.payerUids) {
      const payer = facts.cards.get(uid)!;
      const key = walletKey(payer);
      if (shownWallets.has(key)) continue;
      shownWallets.add(key);
      const list = facts.wallets.get(key)!.map((b) => {
        const locked = facts.lockedAccounts.get(b.accountId);
        const paid = parts.filter((p) => p.accountId === b.accountId).reduce((n, p) => n + p.amount, 0);
        return { ...b, balance: (locked ? locked.balance : b.balance) - paid };
      });
      otherCards.push({ number: payer.number, balances: presentBalances(sortWallet(list)) });
    }
    parts.forEach((part, i) => {
      const id = derivedId(request.id, `pay:${i}`);
      cardTransfers.push({
        id,
        phase: 'single',
        kind: 'payment',
        debitAccountId: part.accountId,
        creditAccountId: facts.venueAccounts.get(part.currencyId)!,
        amount: part.amount,
        metadata: { sale: request.id, card: part.card.id },
      });
      payments.push({ method: 'card', amountCents: part.amount, currency: part.code, transferId: id });
    });
  }
  for (const p of request.payments)
    if (p.method !== 'card')
      payments.push({ method: p.method, amountCents: p.amountCents, currency: null, transferId: null });
  // Cash given back: one cash line, negative (the journal's sign: − money out of the drawer).
  if (request.cashBackCents !== null)
    payments.push({ method: 'cash', amountCents: -request.cashBackCents, currency: null, transferId: null });

  // Counter articles: a top-up mints against the payment taken, gift credit is given, a cash-out burns.
  const itemTransfers = new Map<number, { transferId: string; currency: string }>();
  const walletMoves: SaleBody['wallet'] = [];
  const mints: PlannedMint[] = [];
  const counterMints = new Map<string, CounterMint>();
  let cashOut: PlannedCashOut | null = null;
  for (const [index, line] of priced.lines.entries()) {
    if (line.kind === 'cash_out') {
      // Only what this venue may pay out in cash (its federation's euro, its own local euro).
      const sources = wallet
        .filter((b) => b.usableHere && facts.payable.has(b.currencyId))
        .map((b) => ({
          accountId: b.accountId,
          currencyId: b.currencyId,
          code: b.code,
          kind: b.kind,
          euroBacked: b.euroBacked,
          available: b.available,
        }));
      const burns = planCashOut(sources, line.unitPriceCents).map((p, i) => ({
        accountId: p.source.accountId,
        code: p.source.code,
        amount: p.amount,
        id: derivedId(request.id, `cash-out:${i}`),
      }));
      for (const b of burns) {
        walletMoves.push({ currency: b.code, amount: -b.amount, transferId: b.id });
        move(b.accountId, -b.amount);
      }
      itemTransfers.set(index, { transferId: burns[0]!.id, currency: burns[0]!.code });
      cashOut = {
        lineIndex: index,
        amount: line.unitPriceCents,
        sources,
        burns,
        reference: `till:${request.id}:${index}`,
      };
      continue;
    }
    if (line.kind !== 'top_up' && line.kind !== 'gift_top_up') continue;
    const currency = facts.currencies.get(line.currencyId!)!;
    if (line.kind === 'top_up' ? !currency.euroBacked : currency.kind !== 'gift')
      throw new DomainError('till-currency-not-accepted', 403, { currency: currency.code });
    const provider = priced.methods[0] === 'bank_card' ? ('card_terminal' as const) : ('cash' as const);
    const accountId = facts.mintAccounts.get(currency.id)!;
    const id = derivedId(request.id, 'mint');
    const mint = counterMints.get(currency.id) ?? { currencyId: currency.id, code: currency.code, lines: [] };
    mint.lines.push(line.unitPriceCents);
    counterMints.set(currency.id, mint);
    walletMoves.push({ currency: currency.code, amount: line.unitPriceCents, transferId: id });
    if (after.has(accountId)) move(accountId, line.unitPriceCents);
    else
      after.set(accountId, {
        accountId,
        currencyId: currency.id,
        code: currency.code,
        name: currency.name,
        kind: currency.kind,
        decimals: currency.decimals,
        euroBacked: currency.euroBacked,
        issuerPlaceId: currency.issuerPlaceId,
        balance: line.unitPriceCents,
        available: line.unitPriceCents,
        usableHere: true,
      });
    itemTransfers.set(index, { transferId: id, currency: currency.code });
    mints.push({
      lineIndex: index,
      id,
      currency,
      accountId,
      amount: line.unitPriceCents,
      payment: line.kind === 'top_up' ? { provider, reference: `till:${request.id}:${index}` } : null,
    });
  }

  // A membership is sold to the card's holder only.
  const memberships: SalePlan['memberships'] = [];
  for (const line of priced.lines) {
    if (line.kind !== 'membership') continue;
    if (!card!.personId) throw new DomainError('till-membership-needs-holder', 422);
    const product = facts.products.get(line.productId!);
    if (!product) throw new DomainError('validation', 422, {}, [{ field: 'items', message: 'choice' }]);
    memberships.push({ line, product });
  }

  return {
    ...priced,
    card,
    cardTransfers,
    payments,
    cashOut,
    mints,
    counterMints: [...counterMints.values()],
    memberships,
    itemTransfers,
    walletMoves,
    balancesAfter: sortWallet([...after.values()]),
    otherCards,
  };
}

/**
 * The card parts checked on the accounts as locked (the wallet read before the lock may have moved):
 * the first card short → `till-insufficient-funds` with what it lacks.
 */
function checkLockedBalances(parts: CardPart[], locked: ReadonlyMap<string, LockedAccount>): void {
  const left = new Map([...locked].map(([id, a]) => [id, a.available]));
  const short = new Map<Card, number>();
  for (const p of parts) {
    const free = Math.max(0, left.get(p.accountId)!);
    if (p.amount > free) short.set(p.card, (short.get(p.card) ?? 0) + p.amount - free);
    left.set(p.accountId, free - Math.min(free, p.amount));
  }
  const shortCard = [...short][0];
  if (shortCard) throw insufficientFunds(shortCard[1], shortCard[0]);
}

/** A currency's limits and what was already minted in it on the business day (the venue's, the card's). */
export interface TopUpDay {
  limits: TopUpLimits;
  daySoFar: number;
  cardDaySoFar: number;
}

const overLimit = (which: 'line' | 'sale' | 'card-day' | 'day', currency: string, max: number, available: number) =>
  new DomainError(`till-top-up-${which}-limit`, 422, { currency, max, available: Math.max(0, available) });

/**
 * The venue's top-up limits (docs/POINTS-OF-SALE.md, "Top-up limits"), per currency minted, in this
 * order: each line, the sale, the card's business day (only for a sale with a card), the venue's
 * business day → 422 `till-top-up-<line|sale|card-day|day>-limit` with `max` and `available`.
 */
export function checkTopUpLimits(
  mints: readonly CounterMint[],
  days: ReadonlyMap<string, TopUpDay>,
  hasCard: boolean,
): void {
  for (const mint of mints) {
    const { limits, daySoFar, cardDaySoFar } = days.get(mint.currencyId)!;
    const total = mint.lines.reduce((n, a) => n + a, 0);
    if (mint.lines.some((a) => a > limits.lineMaxCents))
      throw overLimit('line', mint.code, limits.lineMaxCents, limits.lineMaxCents);
    if (total > limits.saleMaxCents) throw overLimit('sale', mint.code, limits.saleMaxCents, limits.saleMaxCents);
    if (hasCard && cardDaySoFar + total > limits.cardDayMaxCents)
      throw overLimit('card-day', mint.code, limits.cardDayMaxCents, limits.cardDayMaxCents - cardDaySoFar);
    if (daySoFar + total > limits.dayMaxCents)
      throw overLimit('day', mint.code, limits.dayMaxCents, limits.dayMaxCents - daySoFar);
  }
}
