import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { reconcilePayment } from './reconcilePayment.ts';

/** Payments resolved per round: bounded work. */
const BATCH_SIZE = 20;

/**
 * Refund and dispute events that came before Rezo knew their payment intent (docs/PAYMENTS.md,
 * "Faults") are applied once the payment is confirmed: for each such payment, its refunds and
 * disputes are read from Stripe and applied, and the events linked to it (so it is done once).
 * Run by the housekeeping. Answers how many payments were reconciled; one that fails (Stripe
 * unreachable) does not stop the others, and the first failure is thrown at the end (to be logged).
 */
export async function resolveOrphanEvents(db: Db, stripe: Stripe | null): Promise<number> {
  if (!stripe) return 0;
  const { rows } = await sql<{ id: string }>`
    select distinct p.id from payment_events e
      join payments p on p.provider = 'stripe' and p.provider_payment_id = e.object_ref
     where e.payment_id is null and e.object_ref is not null
     limit ${BATCH_SIZE}`.execute(db);
  let done = 0;
  let failure: unknown = null;
  for (const { id } of rows) {
    try {
      await reconcilePayment(db, stripe, id);
      done++;
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
  return done;
}
