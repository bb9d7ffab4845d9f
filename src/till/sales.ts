/** Shared shapes of the till's sales: what a sale answers (stored in till_sales.result, returned again on a retry). */
import type { ArticleKind, PaymentMethod } from './tables.ts';
import type { WalletBalance } from './wallet.ts';

export interface SaleItemOut {
  articleId: string;
  name: string;
  kind: ArticleKind;
  quantity: number;
  unitPriceCents: number;
  /** Signed: + money in for the venue, − out (cash-out, deposit return, reversal). */
  amountCents: number;
}

export interface SalePaymentOut {
  method: PaymentMethod;
  /** Signed minor units; for a card, the tokens taken in `currency`. */
  amountCents: number;
  currency: string | null;
  transferId: string | null;
}

export interface BalanceOut {
  currency: string;
  name: string;
  kind: string;
  amount: number;
  decimals: number;
  usableHere: boolean;
}

export interface SaleBody {
  sale: {
    id: string;
    totalCents: number;
    /** The business day the sale is booked on. */
    businessDay: string;
    reversesSaleId: string | null;
    createdAt: string;
    /** A sale queued offline: its time of sale (absent for live sales). */
    soldAt?: string;
    /** Booked late: the closed business day it was sold on (docs/TILL.md, "Offline sales"). */
    lateFromDay?: string;
  };
  items: SaleItemOut[];
  payments: SalePaymentOut[];
  card: { number: string; linked: boolean } | null;
  /** The card's wallet after the sale. */
  balances: BalanceOut[];
  changeCents: number;
  membership: { id: string; product: string; endsOn: string | null } | null;
  /** Top-ups, gift credit and cash-outs of the sale: what moved on the wallet. */
  wallet: { currency: string; amount: number; transferId: string }[];
  /**
   * The other cards that paid (a split over several cards), each with its wallet after the sale: the
   * cashier tells each person what is left. A card sharing the sale card's wallet is not repeated.
   * Absent from answers stored before it existed (a replay returns the answer as first given).
   */
  otherCards?: { number: string; balances: BalanceOut[] }[];
}

export function presentBalances(list: WalletBalance[]): BalanceOut[] {
  return list.map((b) => ({
    currency: b.code,
    name: b.name,
    kind: b.kind,
    amount: b.balance,
    decimals: b.decimals,
    usableHere: b.usableHere,
  }));
}

export interface SaleOutcome {
  body: SaleBody;
  /** True when this sale id had already been recorded with the same request: its first answer, nothing written. */
  replayed: boolean;
}
