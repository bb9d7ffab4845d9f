import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, FieldErrors, forbidden, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { takenBack } from './paymentBalance.ts';
import { refundWalletPayment } from './payWithWallet.ts';

export interface QueueRefundInput {
  paymentId: string;
  /** Absent: everything received and not yet refunded (nothing is queued when that is zero). */
  amountCents?: unknown;
  /** Why, for the refund row and the audit log (e.g. `order_cancelled`). */
  reason: string;
  /**
   * The amount was given back outside the provider, in the caller's transaction — a credit to the
   * buyer's wallet (docs/PAYMENTS.md, "Refund as wallet credit"): the refund is recorded as succeeded
   * at once with this reference (e.g. `ledger:<transfer id>`), never sent to the provider, and counts
   * against what is left to refund like any other.
   */
  settledAs?: string;
}

/**
 * Queues a refund of a paid payment, in the caller's transaction when there is one (docs/PAYMENTS.md
 * invariants 4 and 10, docs/TICKETING.md invariant 10). Locks the payment row, so two refunds asked at
 * once are counted one after the other and together never exceed what was received, less what
 * refunds (sent or not) and lost disputes took back; refused while a dispute is open. Stripe refunds are
 * sent after commit by `sendPendingRefunds`; on-site payments are given back by hand at the venue,
 * so their refund is recorded as done at once. A module that already authorised its own action (a
 * cancellation) calls it as SYSTEM; a person or key needs `till` on the venue.
 */
export async function queueRefund(
  db: Db,
  actor: Actor,
  input: QueueRefundInput,
): Promise<{ refundId: string; amountCents: number } | null> {
  const errors = new FieldErrors();
  if (!isUuid(input.paymentId)) errors.add('paymentId', 'choice');
  const explicit = input.amountCents !== undefined;
  if (explicit && !(Number.isSafeInteger(input.amountCents) && (input.amountCents as number) > 0))
    errors.add('amountCents', 'invalid');
  if (!/^[a-z_]{2,40}$/.test(input.reason)) errors.add('reason', 'format');
  if (input.settledAs !== undefined && !/^[a-z_]{2,20}:[A-Za-z0-9_:-]{1,100}$/.test(input.settledAs))
    errors.add('settledAs', 'format');
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', input.paymentId)
      .forUpdate()
      .executeTakeFirst();
    if (!payment) throw notFound('payment');
    if (actor.kind !== 'system') {
      // A federation payment (no venue) is refunded by the node's operators only.
      if (payment.place_id === null) {
        if (!(actor.kind === 'person' && actor.isOperator)) throw forbidden();
      } else {
        await authorize(trx, actor, payment.place_id, 'till');
      }
    }
    if (!['paid', 'partially_refunded', 'refund_pending', 'refunded'].includes(payment.status)) {
      throw new DomainError('payment-not-refundable', 409);
    }
    // Stripe refuses to refund a charge under dispute; what a lost dispute took is gone already.
    const back = await takenBack(trx, payment.id);
    if (back.openDisputes > 0) throw new DomainError('payment-disputed', 409);
    const left = (payment.received_cents ?? 0) - back.reversedCents - back.inFlightCents;
    if (!explicit && left <= 0) return null;
    const amountCents = explicit ? (input.amountCents as number) : left;
    if (amountCents > left) throw new DomainError('refund-too-large', 409, { left: Math.max(left, 0) });
    const refundId = uuidv7();
    // A wallet payment goes back to the wallet, by the ledger, in this transaction (docs/PAYMENTS.md,
    // "Wallet payments").
    const settledAs =
      input.settledAs ??
      (payment.provider === 'wallet'
        ? await refundWalletPayment(trx, payment, refundId, amountCents, back.reversedCents + back.inFlightCents)
        : undefined);
    const settled = settledAs !== undefined;
    // On-site payments are given back by hand, demo payments have no money to give back.
    const byHand = payment.provider === 'on_site' || payment.provider === 'demo' || settled;
    await trx
      .insertInto('refunds')
      .values({
        id: refundId,
        payment_id: payment.id,
        amount_cents: amountCents,
        reason: input.reason,
        status: byHand ? 'succeeded' : 'pending',
        ...(byHand ? { succeeded_at: sql<Date>`now()` } : {}),
        ...(settled ? { provider_refund_id: settledAs } : {}),
      })
      .execute();
    const fullyBack = amountCents === left;
    await trx
      .updateTable('payments')
      .set({
        status: byHand ? (fullyBack ? 'refunded' : 'partially_refunded') : 'refund_pending',
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', payment.id)
      .execute();
    await audit(trx, actor, {
      placeId: payment.place_id,
      action: 'payment.refund-queued',
      subjectId: payment.id,
      data: {
        refund_id: refundId,
        amount_cents: amountCents,
        reason: input.reason,
        provider: payment.provider,
        ...(settled ? { settled_as: settledAs } : {}),
      },
    });
    return { refundId, amountCents };
  });
}
