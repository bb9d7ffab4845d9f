import type { PaymentPurpose } from '../payments/index.ts';
import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { getPerson } from '../accounts/index.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { startCheckout } from '../payments/index.ts';
import { payWithWallet } from '../payments/index.ts';
import { findMembership } from './memberships.ts';
import { insertMembership, mailMembership } from './addMembership.ts';
import { findProduct } from './products.ts';
import { reverseMembershipPayment } from './reverseMembershipPayment.ts';
import { today } from './validity.ts';
import { membershipTerms } from './lateRule.ts';
import { emitEvent } from '../webhooks/index.ts';

export type BuyResult =
  | { kind: 'done'; membershipId: string; status: 'active' | 'pending_approval' }
  | { kind: 'pay'; membershipId: string; url: string }
  | { kind: 'paid'; membershipId: string };

/**
 * A logged-in person takes a membership. Free ones are recorded at once (active, or waiting for
 * the venue's approval); paid ones are written `pending_payment` and the person is sent to Stripe:
 * the `membership` payment purpose activates them when the payment is confirmed.
 */
export async function buyMembership(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  actor: Actor,
  /** `wallet`: paid from the person's Rezo wallet, all or nothing (docs/PAYMENTS.md, "Wallet payments"). */
  input: { slug: string; productId: string; amount?: unknown; wallet?: boolean },
): Promise<BuyResult> {
  requirePerson(actor);
  if (!isUuid(input.productId)) throw new DomainError('not-found', 404, { what: 'membership-product' });
  const person = (await getPerson(db, actor.personId))!;
  const prepared = await inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    const product = await findProduct(trx, place.id, input.productId);
    if (!product || !product.active) throw new DomainError('not-found', 404, { what: 'membership-product' });
    // The validity and price of this day, late-year rule applied: what the form showed (docs/MEMBERSHIPS.md).
    const terms = membershipTerms(product, today(place.timezone));
    let amountCents = terms.priceCents;
    if (product.priceKind === 'pay_what_you_want') {
      const typed =
        typeof input.amount === 'string'
          ? parseEuros(input.amount)
          : typeof input.amount === 'number'
            ? input.amount
            : null;
      if (typed === null || !Number.isSafeInteger(typed))
        throw new DomainError('validation', 422, {}, [{ field: 'amount', message: 'amount' }]);
      if (typed > MAX_AMOUNT_MINOR)
        throw new DomainError('validation', 422, {}, [
          { field: 'amount', message: 'amount-too-large', params: { max: MAX_AMOUNT_MINOR / 100 } },
        ]);
      if (typed < terms.minPriceCents)
        throw new DomainError('validation', 422, {}, [
          { field: 'amount', message: 'below-minimum', params: { min: (terms.minPriceCents / 100).toFixed(2) } },
        ]);
      amountCents = typed;
    }
    const free = product.priceKind === 'free' || amountCents === 0;
    const status: 'active' | 'pending_approval' | 'pending_payment' = free
      ? product.requiresApproval
        ? 'pending_approval'
        : 'active'
      : 'pending_payment';
    const id = await insertMembership(trx, place, product, {
      personId: person.id,
      startsOn: terms.startsOn,
      endsOn: terms.endsOn,
      status,
      amountCents,
      method: free ? 'free' : input.wallet ? 'wallet' : stripe ? 'stripe' : 'demo',
      note: '',
      createdBy: person.id,
      paymentId: null,
    });
    await audit(trx, actor, {
      placeId: place.id,
      action: 'membership.requested',
      subjectId: id,
      data: { product: product.name, amount_cents: amountCents },
    });
    if (status === 'active')
      await mailMembership(trx, config, place, (await findMembership(trx, place.id, id))!, person.language);
    return { id, place, product, status, amountCents };
  });
  if (prepared.status !== 'pending_payment')
    return { kind: 'done', membershipId: prepared.id, status: prepared.status };
  try {
    if (input.wallet) {
      await payWithWallet(db, config, actor, {
        purpose: 'membership',
        subjectId: prepared.id,
        placeId: prepared.place.id,
        amountCents: prepared.amountCents,
        label: `${prepared.place.name} — ${prepared.product.name}`,
      });
      return { kind: 'paid', membershipId: prepared.id };
    }
    const { url } = await startCheckout(db, stripe, config, {
      purpose: 'membership',
      subjectId: prepared.id,
      placeId: prepared.place.id,
      personId: person.id,
      email: person.email,
      amountCents: prepared.amountCents,
      label: `${prepared.place.name} — ${prepared.product.name}`,
      language: person.language,
    });
    return { kind: 'pay', membershipId: prepared.id, url };
  } catch (error) {
    // No payment could start: the membership request goes, rather than waiting for money that will not come.
    await db
      .updateTable('memberships')
      .set({ status: 'cancelled', cancelled_at: sql<Date>`now()`, note: 'payment could not start' })
      .where('place_id', '=', prepared.place.id)
      .where('id', '=', prepared.id)
      .execute();
    throw error;
  }
}

// The payment of a membership: activate it (or queue it for approval) once, under the row's lock.
// A membership cancelled meanwhile cannot take the money: the payment is refunded.
export const membershipPurpose: PaymentPurpose = {
  async apply(trx, payment) {
    const m = await trx
      .selectFrom('memberships as m')
      .innerJoin('membership_products as p', (j) =>
        j.onRef('p.place_id', '=', 'm.place_id').onRef('p.id', '=', 'm.product_id'),
      )
      .select(['m.place_id', 'm.id', 'm.status', 'p.requires_approval'])
      .where('m.id', '=', payment.subject_id)
      .forUpdate()
      .executeTakeFirst();
    if (!m || m.status !== 'pending_payment') return 'cannot_apply';
    await trx
      .updateTable('memberships')
      .set({
        status: m.requires_approval ? 'pending_approval' : 'active',
        payment_id: payment.id,
        amount_cents: payment.amount_cents,
      })
      .where('place_id', '=', m.place_id)
      .where('id', '=', m.id)
      .execute();
    if (!m.requires_approval)
      await emitEvent(trx, {
        placeId: m.place_id,
        type: 'membership.created',
        data: { membership_id: m.id, payment_id: payment.id, amount_cents: payment.amount_cents },
      });
    return 'applied';
  },
  returnPath: () => '/account#memberships',
  // Money taken back in Stripe (refund, lost chargeback): the membership is cut or ended in proportion.
  reverse: reverseMembershipPayment,
};
