import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Language } from '../i18n/i18n.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';

/** Stripe may expire a session a little after its `expires_at`: asked about 5 minutes later. */
export const RECONCILE_GRACE_MS = 5 * 60_000;

export interface CheckoutInput {
  purpose: string;
  /** What is paid for (order id, top-up id). */
  subjectId: string;
  /** Venue whose connected account receives the money; null for the federation's account. */
  placeId: string | null;
  personId: string | null;
  email?: string;
  amountCents: number;
  /** What the buyer sees on Stripe's page. */
  label: string;
  language: Language;
  /** Kept with the payment for the purpose's `apply` (strings only). */
  metadata?: Record<string, string>;
}

/**
 * Opens a Stripe Checkout Session for a new payment. The payment row is written (pending) before
 * Stripe is called, and its id is the idempotency key: a retried call never opens a second session.
 * When Stripe cannot be reached the payment is marked failed and the person told so (503).
 */
export async function startStripeCheckout(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  input: CheckoutInput,
): Promise<{ paymentId: string; url: string }> {
  if (!stripe) throw new DomainError('payments-disabled', 503);
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0)
    throw new DomainError('validation', 422, {}, [{ field: 'amount', message: 'range' }]);
  const paymentId = uuidv7();
  // One statement (no transaction round trips): the payment row is written only when the venue has a
  // connected account, whose id comes back with it.
  const values = sql`${paymentId}::uuid, ${input.purpose}, ${input.subjectId}::uuid, 'stripe', ${input.amountCents}::bigint, ${input.personId}::uuid, 'pending', ${JSON.stringify(input.metadata ?? {})}::jsonb`;
  let account: string | null = null;
  if (input.placeId) {
    const { rows } = await sql<{ stripe_account_id: string }>`
      with created as (
        insert into payments (id, purpose, subject_id, provider, amount_cents, person_id, status, metadata, place_id)
        select ${values}, p.id from places p where p.id = ${input.placeId}::uuid and p.stripe_account_id is not null
        returning place_id
      )
      select p.stripe_account_id from created c join places p on p.id = c.place_id`.execute(db);
    if (!rows[0]) throw new DomainError('payments-not-set-up', 409);
    account = rows[0].stripe_account_id;
  } else {
    await sql`insert into payments (id, purpose, subject_id, provider, amount_cents, person_id, status, metadata, place_id) values (${values}, null)`.execute(
      db,
    );
  }
  try {
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: 'eur',
              unit_amount: input.amountCents,
              product_data: { name: input.label.slice(0, 250) },
            },
          },
        ],
        client_reference_id: paymentId,
        metadata: { rezo_payment_id: paymentId, purpose: input.purpose },
        payment_intent_data: { metadata: { rezo_payment_id: paymentId } },
        success_url: `${config.baseUrl}/payments/${paymentId}/return?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${config.baseUrl}/payments/${paymentId}/return?cancelled=1`,
        locale: input.language,
        ...(input.email ? { customer_email: input.email } : {}),
      },
      { idempotencyKey: `checkout-${paymentId}`, ...(account ? { stripeAccount: account } : {}) },
    );
    if (!session.url) throw new Error('Stripe returned a session without a URL');
    // Asked of Stripe by the housekeeping once the session expired, if nobody told us how it ended
    // (docs/PAYMENTS.md invariant 12).
    const expiresAt = session.expires_at ? new Date(session.expires_at * 1000) : new Date(Date.now() + 24 * 3600_000);
    await db
      .updateTable('payments')
      .set({
        provider_session_id: session.id,
        checkout_url: session.url,
        updated_at: sql<Date>`now()`,
        reconcile_at: new Date(expiresAt.getTime() + RECONCILE_GRACE_MS),
      })
      .where('id', '=', paymentId)
      .execute();
    return { paymentId, url: session.url };
  } catch (error) {
    await db
      .updateTable('payments')
      .set({ status: 'failed', failure: String((error as Error).message).slice(0, 500), updated_at: sql<Date>`now()` })
      .where('id', '=', paymentId)
      .where('status', '=', 'pending')
      .execute();
    throw new DomainError('payment-provider-unavailable', 503);
  }
}
