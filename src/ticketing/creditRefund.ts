import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { ensureAccount, findCurrency, getCurrencyById, type Currency, mintAgainstPayment } from '../ledger/index.ts';
import { queueRefund } from '../payments/index.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { paymentById, refundedCents } from '../payments/index.ts';

/**
 * Refunds as credit to the buyer's Rezo wallet (docs/PAYMENTS.md, "Refund as wallet credit"). The
 * ticket money sits with the venue (its Stripe connected account, or its till for an on-site
 * payment), so the credit is a euro-backed currency the venue issues itself — a `local_euro` — minted
 * against that very payment (its Stripe payment intent, or the on-site payment's id): a payment
 * backs one credit, once (the ledger's payment reference is its primary key).
 */

/** Where what was paid goes back: the original payment (Stripe refund, or by hand on site) or the wallet. */
export type RefundTo = 'payment' | 'credit';

/** Reads the choice of a form or body: absent means the original payment. */
export function readRefundTo(raw: unknown): RefundTo {
  if (raw === undefined || raw === null || raw === '' || raw === 'payment') return 'payment';
  if (raw === 'credit') return 'credit';
  const errors = new FieldErrors();
  errors.add('refundTo', 'choice');
  errors.throwIfAny();
  return 'payment';
}

/** A currency a venue may credit refunds in: an active local euro it issues. */
function creditable(currency: Currency, placeId: string): boolean {
  return (
    currency.kind === 'local_euro' &&
    currency.euroBacked &&
    currency.issuerPlaceId === placeId &&
    currency.status === 'active'
  );
}

/** The currency the venue credits refunds in, or null when it offers refunds to the payment only. */
export async function creditOffer(db: Db, placeId: string): Promise<Currency | null> {
  const row = await db
    .selectFrom('credit_refund_settings')
    .select('currency_id')
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  if (!row) return null;
  const currency = await getCurrencyById(db, row.currency_id);
  // Checked again at each use: a currency archived since the setting was made is no longer offered.
  return creditable(currency, placeId) ? currency : null;
}

/**
 * The venue offers (a currency code) or stops offering (null) refunds as wallet credit. Needs
 * `place.settings` (admins; API scope `place:write`), the right that creates the venue's currencies.
 */
export async function setCreditRefunds(
  db: Db,
  actor: Actor,
  input: { slug: string; creditCurrency: unknown },
): Promise<{ creditCurrency: string | null }> {
  const code = input.creditCurrency;
  if (code !== null && (typeof code !== 'string' || !/^[A-Z0-9]{2,12}$/.test(code))) {
    const errors = new FieldErrors();
    errors.add('creditCurrency', 'format');
    errors.throwIfAny();
  }
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.settings');
    if (code === null) {
      await trx.deleteFrom('credit_refund_settings').where('place_id', '=', place.id).execute();
    } else {
      const currency = await findCurrency(trx, code as string);
      if (!currency || !creditable(currency, place.id)) {
        throw new DomainError('validation', 422, {}, [
          { field: 'creditCurrency', message: 'credit.currency-not-creditable' },
        ]);
      }
      await trx
        .insertInto('credit_refund_settings')
        .values({ place_id: place.id, currency_id: currency.id })
        .onConflict((oc) => oc.column('place_id').doUpdateSet({ currency_id: currency.id, updated_at: new Date() }))
        .execute();
    }
    await audit(trx, actor, {
      placeId: place.id,
      action: 'place.credit-refunds-set',
      subjectId: place.id,
      data: { currency: code },
    });
    return { creditCurrency: code as string | null };
  });
}

export interface CreditResult {
  amountCents: number;
  currencyCode: string;
  transferId: string;
}

/**
 * Gives back what was received on an order's payment, and not yet refunded, as credit to the buyer's
 * wallet — in the caller's transaction, which holds the payment's and the order's row locks and
 * cancels the order (all or nothing). Mints the venue's local euro against the payment (usable once),
 * then records the refund as settled so it is never also sent to Stripe. Returns null when nothing is
 * left to give back. Refuses (409) when the venue offers no credit, the order has no account to
 * credit, or the payment is not one the venue holds (only Stripe and on-site payments are).
 */
export async function creditRefundInTransaction(
  trx: Trx,
  order: { place_id: string; id: string; person_id: string | null; payment_id: string },
): Promise<CreditResult | null> {
  const currency = await creditOffer(trx, order.place_id);
  if (!currency) throw new DomainError('credit-not-offered', 409);
  if (!order.person_id) throw new DomainError('credit-needs-account', 409);
  const payment = await paymentById(trx, order.payment_id, { lock: true });
  if (!payment) throw new Error(`payment ${order.payment_id} of order ${order.id} not found`);
  // The money must be the venue's (its connected account or till) for the venue's own currency to
  // be backed by it; a wallet payment is the federation's money.
  const reference =
    payment.placeId !== order.place_id
      ? null
      : payment.provider === 'stripe' && payment.providerPaymentId
        ? { provider: 'stripe' as const, reference: payment.providerPaymentId }
        : payment.provider === 'on_site'
          ? { provider: 'cash' as const, reference: `rezo-payment:${payment.id}` }
          : null;
  if (!reference) throw new DomainError('credit-not-offered', 409);
  if (!['paid', 'partially_refunded', 'refund_pending', 'refunded'].includes(payment.status))
    throw new DomainError('payment-not-refundable', 409);
  const left = (payment.receivedCents ?? 0) - (await refundedCents(trx, payment.id));
  if (left <= 0) return null;
  const account = await ensureAccount(trx, { currencyId: currency.id, ownerKind: 'person', ownerRef: order.person_id });
  const transferId = uuidv7();
  // The node mints on the venue's behalf, for the venue's own currency (checked above): the
  // cancellation was authorised by its caller (the venue, or the holder within the venue's rules).
  await mintAgainstPayment(trx, SYSTEM, {
    id: transferId,
    currencyCode: currency.code,
    accountId: account.id,
    amount: left,
    payment: reference,
    placeId: order.place_id,
    metadata: { reason: 'order_cancelled', order_id: order.id, payment_id: payment.id },
  });
  await queueRefund(trx, SYSTEM, {
    paymentId: payment.id,
    amountCents: left,
    reason: 'order_cancelled',
    settledAs: `ledger:${transferId}`,
  });
  return { amountCents: left, currencyCode: currency.code, transferId };
}
