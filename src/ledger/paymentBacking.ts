import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { notFound } from '../shared/errors.ts';
import { ACCOUNT_COLUMNS, toAccount, type Account } from './ledger.ts';
import type { PaymentProvider } from './tables.ts';

/** A euro payment tokens were minted against, with its mint's two accounts. */
export interface BackingPayment {
  amount_cents: number;
  currency_id: string;
  /** The account the mint credited (the holder's wallet). */
  credit_account_id: string;
  /** The issuance account the mint debited. */
  debit_account_id: string;
}

/**
 * Locks what taking euros back from a payment touches, then reads what was already taken back —
 * payouts and holders' debts (docs/LEDGER.md rule 5). The holder's and the issuance accounts are locked together, sorted by id
 * (rule 1: the order of every ledger write, so a burn never deadlocks with a mint), BEFORE the
 * payouts are read: every burn of this payment waits here for the previous one's commit, and its
 * read (a new statement, a new snapshot) then sees that payout. Reading first and locking after let
 * two concurrent refunds each see nothing paid back and burn the payment twice (issue 12 #15).
 */
export async function lockPaymentBacking(
  trx: Trx,
  reference: { provider: PaymentProvider; reference: string },
): Promise<{ payment: BackingPayment; account: Account; paidBack: number }> {
  const payment = await trx
    .selectFrom('ledger_payment_references as p')
    .innerJoin('ledger_transfers as t', 't.id', 'p.transfer_id')
    .select(['p.amount_cents', 'p.currency_id', 't.credit_account_id', 't.debit_account_id'])
    .where('p.provider', '=', reference.provider)
    .where('p.reference', '=', reference.reference)
    .executeTakeFirst();
  if (!payment) throw notFound('payment');
  const locked = await trx
    .selectFrom('ledger_accounts')
    .select(ACCOUNT_COLUMNS)
    .where('id', 'in', [payment.credit_account_id, payment.debit_account_id])
    .orderBy('id')
    .forUpdate()
    .execute();
  const holder = locked.find((a) => a.id === payment.credit_account_id);
  if (!holder) throw notFound('account');
  // Paid back: euros refunded against burned tokens (payouts), and euros taken back for tokens
  // already spent (the holders' debts).
  const { rows } = await sql<{ total: string }>`
    select (select coalesce(sum(amount_cents), 0) from ledger_payouts
             where payment_provider = ${reference.provider} and payment_reference = ${reference.reference})
         + (select coalesce(sum(amount_cents), 0) from ledger_debts
             where payment_provider = ${reference.provider} and payment_reference = ${reference.reference}) as total`.execute(
    trx,
  );
  return { payment, account: toAccount(holder), paidBack: Number(rows[0]!.total) };
}
