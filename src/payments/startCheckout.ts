import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { connectedAccountOf } from '../places/index.ts';
import { DomainError } from '../shared/errors.ts';
import { demoPaymentsOn, startDemoCheckout } from './demoCheckout.ts';
import { startStripeCheckout, type CheckoutInput } from './startStripeCheckout.ts';

/**
 * Starts an online payment with the provider the node has (docs/PAYMENTS.md, "Demo provider"):
 * Stripe Checkout when configured, else the demo provider when on (development only), else 503
 * `payments-disabled`. Answers the payment's id and where to send the payer.
 */
export async function startCheckout(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  input: CheckoutInput,
): Promise<{ paymentId: string; url: string }> {
  if (stripe) return startStripeCheckout(db, stripe, config, input);
  if (demoPaymentsOn(config)) return startDemoCheckout(db, input);
  throw new DomainError('payments-disabled', 503);
}

/**
 * Whether the node can take this venue's money online now (null: the federation's own account):
 * Stripe with the venue's connected account, or the demo provider. A paid price or membership is
 * offered only then (docs/PAYMENTS.md, "Prices nobody can pay").
 */
export async function canTakePayments(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  placeId: string | null,
): Promise<boolean> {
  if (stripe) return placeId === null || (await connectedAccountOf(db, placeId)) !== null;
  return demoPaymentsOn(config);
}
