import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors, forbidden } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers } from './engine.ts';
import { readAmount } from './ledger.ts';
import { lockPaymentBacking } from './paymentBacking.ts';
import type { PaymentProvider } from './tables.ts';

export interface ReversalInput {
  /** The payment the tokens were minted against. */
  payment: { provider: PaymentProvider; reference: string };
  /** The refund made outside Rezo, or the lost dispute: its id at the provider, the reversal's key. */
  reversal: { provider: PaymentProvider; reference: string; kind: 'refund' | 'dispute' };
  /** What the provider took back, in cents. */
  amount: number;
}

/**
 * Euros of an online top-up were taken back outside Rezo — a refund made in Stripe, a chargeback lost
 * (docs/LEDGER.md rule 5, docs/PAYMENTS.md "Reversals"). The euros are gone, so the tokens must leave
 * circulation: burns what the holder's wallet still has, at most what is left of the payment, with a
 * payout named after the reversal; the rest — tokens already spent — is recorded as the holder's debt.
 * Locks the holder's and the issuance accounts before reading what was already paid back (payouts and
 * debts), so concurrent reversals of one payment never take back more than it. One reversal is
 * recorded once (its reference keys the payout and the debt): asked again, it answers what it did.
 * Only the node reverses.
 */
export async function reverseTopUp(
  db: Db,
  actor: Actor,
  input: ReversalInput,
): Promise<{ burned: number; debt: number }> {
  if (actor.kind !== 'system') throw forbidden();
  const errors = new FieldErrors();
  const amount = readAmount(errors, 'amount', input.amount);
  errors.throwIfAny();
  // The reversal's reference comes from the payments module (a provider's id), never from a person.
  if (!input.reversal.reference || input.reversal.reference.length > 200)
    throw new Error('a reversal needs its reference');
  const key = { provider: input.reversal.provider, reference: input.reversal.reference };
  return inTransaction(db, async (trx) => {
    const { payment, account, paidBack } = await lockPaymentBacking(trx, input.payment);
    const done = await trx
      .selectFrom('ledger_payouts')
      .select('amount_cents')
      .where('provider', '=', key.provider)
      .where('reference', '=', key.reference)
      .executeTakeFirst();
    const owed = await trx
      .selectFrom('ledger_debts')
      .select('amount_cents')
      .where('reversal_provider', '=', key.provider)
      .where('reversal_reference', '=', key.reference)
      .executeTakeFirst();
    if (done || owed) return { burned: done?.amount_cents ?? 0, debt: owed?.amount_cents ?? 0 };

    const takenBack = Math.max(0, Math.min(amount, payment.amount_cents - paidBack));
    const burned = Math.max(0, Math.min(takenBack, account.balance - account.pendingDebits));
    const debt = takenBack - burned;
    const labels = {
      payment: `${input.payment.provider}:${input.payment.reference}`,
      [input.reversal.kind]: `${key.provider}:${key.reference}`,
    };
    if (burned > 0) {
      const id = uuidv7();
      await appendTransfers(trx, {
        specs: [
          {
            id,
            phase: 'single',
            kind: input.reversal.kind === 'refund' ? 'refund' : 'chargeback',
            debitAccountId: payment.credit_account_id,
            creditAccountId: payment.debit_account_id,
            amount: burned,
            metadata: labels,
          },
        ],
        requestSha256: sha256Hex(canonicalJson({ op: 'reverse', ...labels, amount })),
        batchId: null,
        authorisation: { by: 'node', authoriserId: '', placeId: null, deviceSignature: null },
        claimed: true,
      });
      await trx
        .insertInto('ledger_payouts')
        .values({
          ...key,
          payment_provider: input.payment.provider,
          payment_reference: input.payment.reference,
          amount_cents: burned,
          transfer_id: id,
        })
        .execute();
    }
    if (debt > 0)
      await trx
        .insertInto('ledger_debts')
        .values({
          reversal_provider: key.provider,
          reversal_reference: key.reference,
          reason: input.reversal.kind,
          currency_id: payment.currency_id,
          account_id: payment.credit_account_id,
          payment_provider: input.payment.provider,
          payment_reference: input.payment.reference,
          amount_cents: debt,
        })
        .execute();
    await audit(trx, actor, {
      action: 'ledger.reversed',
      subjectId: payment.credit_account_id,
      data: { ...labels, amount, burned, debt },
    });
    return { burned, debt };
  });
}
