import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { DomainError, FieldErrors, forbidden } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers, claimIds } from './engine.ts';
import { readAmount, readUuid } from './ledger.ts';
import { lockPaymentBacking } from './paymentBacking.ts';
import type { PaymentProvider } from './tables.ts';

export interface BurnInput {
  /** Client-chosen UUID of the burn transfer. */
  id: string;
  /** The payment the tokens were minted against. */
  payment: { provider: PaymentProvider; reference: string };
  /** The refund that pays euros back (its id at the provider). */
  refund: { provider: PaymentProvider; reference: string };
  /** The most to burn, in cents: what the person asks back. */
  amount: number | string;
}

/**
 * Burns the tokens of a refunded top-up, at most what is still on the account that received them
 * (tokens already spent at a venue stay spent). Records the payout with the amount burned: the
 * payments module refunds that many euros, so `-balance(issuance)` keeps equal to euros held.
 * Only the node (the payments module's webhook and refund flow) burns.
 */
export async function burnOnRefund(
  db: Db,
  actor: Actor,
  input: BurnInput,
): Promise<{ burned: number; transferId: string | null }> {
  if (actor.kind !== 'system' && !(actor.kind === 'person' && actor.isOperator)) throw forbidden();
  const errors = new FieldErrors();
  const id = readUuid(errors, 'id', input.id);
  const max = readAmount(errors, 'amount', input.amount);
  errors.throwIfAny();
  const requestSha256 = sha256Hex(
    canonicalJson({ op: 'burn', payment: input.payment, refund: input.refund, amount: max }),
  );
  return inTransaction(db, async (trx) => {
    const done = await claimIds(trx, [id], requestSha256);
    if (done) return { burned: done[0]!.amount, transferId: id };
    const { payment, account, paidBack } = await lockPaymentBacking(trx, input.payment);
    const burned = Math.min(max, payment.amount_cents - paidBack, account.balance - account.pendingDebits);
    if (burned <= 0) throw new DomainError('ledger-nothing-to-burn', 409);
    await appendTransfers(trx, {
      specs: [
        {
          id,
          phase: 'single',
          kind: 'refund',
          debitAccountId: payment.credit_account_id,
          creditAccountId: payment.debit_account_id,
          amount: burned,
          metadata: {
            payment: `${input.payment.provider}:${input.payment.reference}`,
            refund: `${input.refund.provider}:${input.refund.reference}`,
          },
        },
      ],
      requestSha256,
      batchId: null,
      authorisation: { by: 'node', authoriserId: '', placeId: null, deviceSignature: null },
      claimed: true,
    });
    await trx
      .insertInto('ledger_payouts')
      .values({
        provider: input.refund.provider,
        reference: input.refund.reference,
        payment_provider: input.payment.provider,
        payment_reference: input.payment.reference,
        amount_cents: burned,
        transfer_id: id,
      })
      .execute();
    await audit(trx, actor, {
      action: 'ledger.burned',
      subjectId: id,
      data: { burned, payment: input.payment.reference },
    });
    return { burned, transferId: id };
  });
}
