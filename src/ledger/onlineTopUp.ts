import type { PaymentPurpose } from '../payments/index.ts';
import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { SYSTEM } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { getPerson } from '../accounts/index.ts';
import { DomainError, forbidden, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { parseEuros } from '../shared/money.ts';
import { takenBack } from '../payments/index.ts';
import { startCheckout } from '../payments/index.ts';
import { settleDemoRefunds } from '../payments/index.ts';
import { burnOnRefund } from './burnOnRefund.ts';
import { ensureAccount } from './ensureAccount.ts';
import { findCurrency } from './ledger.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { reverseTopUp } from './reverseTopUp.ts';
import { insertPendingRefund, paymentById } from '../payments/index.ts';

/** Bounds of one online top-up, in cents: a typo must not charge 10,000 €. */
export const TOP_UP_MIN_CENTS = 100;
export const TOP_UP_MAX_CENTS = 50_000;

/**
 * A person buys euro-backed tokens online: a Stripe Checkout on the federation's own account. The
 * tokens are minted by the `top_up` payment purpose when the payment is confirmed — once, against
 * the Stripe payment reference (LEDGER.md rule 5). The payment's subject is the id of the mint
 * transfer, chosen here, so a replayed confirmation replays the same transfer.
 */
export async function startTopUp(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  actor: Actor,
  input: { currencyCode: unknown; amount: unknown },
): Promise<{ paymentId: string; url: string }> {
  requirePerson(actor);
  const amount =
    typeof input.amount === 'number'
      ? input.amount
      : typeof input.amount === 'string'
        ? parseEuros(input.amount)
        : null;
  if (amount === null || !Number.isSafeInteger(amount) || amount < TOP_UP_MIN_CENTS || amount > TOP_UP_MAX_CENTS) {
    throw new DomainError('validation', 422, {}, [
      {
        field: 'amount',
        message: 'top-up-range',
        params: { min: TOP_UP_MIN_CENTS / 100, max: TOP_UP_MAX_CENTS / 100 },
      },
    ]);
  }
  const currency = typeof input.currencyCode === 'string' ? await findCurrency(db, input.currencyCode) : null;
  if (!currency || currency.status !== 'active' || currency.kind !== 'federated_euro') {
    throw new DomainError('validation', 422, {}, [{ field: 'currencyCode', message: 'choice' }]);
  }
  const person = (await getPerson(db, actor.personId))!;
  return startCheckout(db, stripe, config, {
    purpose: 'top_up',
    subjectId: uuidv7(),
    placeId: null,
    personId: person.id,
    email: person.email,
    amountCents: amount,
    label: `${currency.name} (${currency.code})`,
    language: person.language,
    metadata: { currency: currency.code },
  });
}

/** The ledger's reference of the euros a top-up was paid with: Stripe's payment intent, or the demo's. */
const backingOf = (payment: { id: string; provider: string; provider_payment_id: string | null }) => ({
  provider: payment.provider === 'demo' ? ('demo' as const) : ('stripe' as const),
  reference: payment.provider_payment_id ?? payment.id,
});

export const topUpPurpose: PaymentPurpose = {
  async apply(trx, payment) {
    const code = payment.metadata.currency;
    const currency = code ? await findCurrency(trx, code) : null;
    if (!currency || currency.status !== 'active' || !payment.person_id) return 'cannot_apply';
    const account = await ensureAccount(trx, {
      currencyId: currency.id,
      ownerKind: 'person',
      ownerRef: payment.person_id,
    });
    await mintAgainstPayment(trx, SYSTEM, {
      id: payment.subject_id,
      currencyCode: currency.code,
      accountId: account.id,
      amount: payment.received_cents ?? payment.amount_cents,
      payment: backingOf(payment),
      metadata: { payment_id: payment.id },
    });
    return 'applied';
  },
  returnPath: () => '/wallet',
  // Euros taken back in Stripe (a refund made there, a lost chargeback): the tokens leave circulation,
  // burned from the wallet or owed by the holder (docs/LEDGER.md rule 5).
  async reverse(trx, payment, reversal) {
    const reference = payment.provider_payment_id ?? payment.id;
    const minted = await trx
      .selectFrom('ledger_payment_references')
      .select('reference')
      .where('provider', '=', 'stripe')
      .where('reference', '=', reference)
      .executeTakeFirst();
    if (!minted) return { burned_cents: 0, debt_cents: 0 }; // never applied: no token to take back
    const { burned, debt } = await reverseTopUp(trx, SYSTEM, {
      payment: { provider: 'stripe', reference },
      reversal: { provider: 'stripe', reference: reversal.reference, kind: reversal.kind },
      amount: reversal.amountCents,
    });
    return { burned_cents: burned, debt_cents: debt };
  },
};

/**
 * Gives back the euros of an online top-up: burns what is still on the wallet (tokens already spent
 * at a venue stay spent) and queues a Stripe refund of exactly that many euros, in one transaction,
 * so the euros held keep matching the tokens in circulation. The person who topped up, or an operator.
 */
export async function refundTopUp(db: Db, actor: Actor, paymentId: string): Promise<{ refundedCents: number }> {
  if (!isUuid(paymentId)) throw notFound('payment');
  return inTransaction(db, async (trx) => {
    const found = await paymentById(trx, paymentId, { lock: true });
    const payment = found?.purpose === 'top_up' ? found : undefined;
    if (!payment) throw notFound('payment');
    const mine = actor.kind === 'person' && (actor.personId === payment.personId || actor.isOperator);
    if (!mine && actor.kind !== 'system') throw forbidden();
    if (payment.status !== 'paid') throw new DomainError('top-up-not-refundable', 409);
    // Stripe refuses to refund a charge under dispute: the dispute decides (docs/PAYMENTS.md invariant 10).
    if ((await takenBack(trx, payment.id)).openDisputes > 0) throw new DomainError('payment-disputed', 409);
    const refundId = uuidv7();
    const { burned } = await burnOnRefund(trx, SYSTEM, {
      id: uuidv7(),
      payment: backingOf({
        id: payment.id,
        provider: payment.provider,
        provider_payment_id: payment.providerPaymentId,
      }),
      refund: { provider: payment.provider === 'demo' ? 'demo' : 'stripe', reference: refundId },
      amount: payment.receivedCents ?? payment.amountCents,
    });
    if (burned === 0) throw new DomainError('top-up-spent', 409);
    await insertPendingRefund(trx, {
      id: refundId,
      paymentId: payment.id,
      amountCents: burned,
      reason: 'top_up_refund',
    });
    // A demo payment's refund has nowhere to go: done at once (docs/PAYMENTS.md, "Demo provider").
    if (payment.provider === 'demo') await settleDemoRefunds(trx, payment.id);
    return { refundedCents: burned };
  });
}
