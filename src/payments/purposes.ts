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

export interface PaymentPurpose {
  apply(trx: Trx, payment: PaymentRow, context: PurposeContext): Promise<'applied' | 'cannot_apply'>;
  /** Where the browser goes after a Checkout (success or cancel), a local path. */
  returnPath(payment: PaymentRow): string;
}

const purposes = new Map<string, PaymentPurpose>();

/** Modules register their purpose once, at import time (e.g. the ledger's `top_up`). */
export function registerPurpose(name: string, purpose: PaymentPurpose): void {
  if (purposes.has(name) && purposes.get(name) !== purpose) throw new Error(`payment purpose ${name} registered twice`);
  purposes.set(name, purpose);
}

export function purposeOf(name: string): PaymentPurpose {
  const purpose = purposes.get(name);
  if (!purpose) throw new Error(`unknown payment purpose ${name}`);
  return purpose;
}
