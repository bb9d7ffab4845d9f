import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import type { Selectable } from 'kysely';
import type { PaymentsTable } from './tables.ts';

export type PaymentRow = Selectable<PaymentsTable>;

/**
 * What a module does when one of its payments is paid. `apply` runs inside the transaction that
 * confirms the payment (all or nothing) and answers whether it could use the money; when it cannot
 * (the order expired and its seats are gone…), the payment is refunded — never kept unapplied.
 */
/** What a purpose may need besides the payment: the node's configuration (links, mail). */
export interface PurposeContext {
  config: Config;
}

/** Money taken back from a payment outside Rezo (docs/PAYMENTS.md, "Reversals"). */
export interface Reversal {
  kind: 'refund' | 'dispute';
  /** The provider's id of the refund or dispute: one reversal per reference. */
  reference: string;
  /** What this reversal takes back, in cents. */
  amountCents: number;
  /** Everything taken back from the payment so far (refunds succeeded, disputes lost), this one included. */
  reversedCents: number;
}

export interface PaymentPurpose {
  apply(trx: Trx, payment: PaymentRow, context: PurposeContext): Promise<'applied' | 'cannot_apply'>;
  /** Where the browser goes after a Checkout (success or cancel), a local path. */
  returnPath(payment: PaymentRow): string;
  /**
   * Undoes, in proportion, what the payment bought when money is taken back outside Rezo (a refund
   * made in Stripe, a lost chargeback). Runs once per reversal, under the payment's lock, inside the
   * transaction that records it; answers a short summary for the audit entry. A payment whose purpose
   * was never applied has nothing to undo. Absent: nothing is undone (the audit entry says so).
   */
  reverse?(trx: Trx, payment: PaymentRow, reversal: Reversal): Promise<Record<string, unknown>>;
}

const purposes = new Map<string, PaymentPurpose>();

/**
 * A module's purposes are registered from the module list (`paymentPurposes` of its index.ts, by
 * registerModules in src/node/modules.ts) when the app is built, by the CLI and by the tests.
 */
export function registerPurpose(name: string, purpose: PaymentPurpose): void {
  if (purposes.has(name) && purposes.get(name) !== purpose) throw new Error(`payment purpose ${name} registered twice`);
  purposes.set(name, purpose);
}

export function purposeOf(name: string): PaymentPurpose {
  const purpose = purposes.get(name);
  if (!purpose) throw new Error(`unknown payment purpose ${name}`);
  return purpose;
}
