import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import { SYSTEM } from '../access/actor.ts';
import type { Reversal } from '../payments/index.ts';
import { addDays } from './validity.ts';

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/**
 * Money of a membership was taken back outside Rezo — a refund made in Stripe, a lost chargeback
 * (docs/PAYMENTS.md, "Reversals"). Under the payment's lock (the caller's), then the membership's:
 * wholly taken back → `cancelled` at once; partly → its period is cut in the ratio of what is still
 * paid to what was paid before this reversal (`ends_on = starts_on + ⌊days × (received − reversed) /
 * (received − reversed before)⌋`); a membership without an end (lifetime) runs until wholly taken back.
 * A membership not (or no longer) bought by this payment is left as it is.
 */
export async function reverseMembershipPayment(
  trx: Trx,
  payment: { id: string; subject_id: string; received_cents: number | null },
  reversal: Reversal,
): Promise<Record<string, unknown>> {
  const m = await trx
    .selectFrom('memberships')
    .select(['place_id', 'id', 'status', 'starts_on', 'ends_on', 'payment_id'])
    .where('id', '=', payment.subject_id)
    .forUpdate()
    .executeTakeFirst();
  if (!m || m.payment_id !== payment.id || !(m.status === 'active' || m.status === 'pending_approval'))
    return { membership: 'unchanged' };
  const received = payment.received_cents ?? 0;
  const data = { kind: reversal.kind, reference: reversal.reference, from: { status: m.status, ends_on: m.ends_on } };
  if (reversal.reversedCents >= received) {
    await trx
      .updateTable('memberships')
      .set({ status: 'cancelled', cancelled_at: sql<Date>`now()` })
      .where('place_id', '=', m.place_id)
      .where('id', '=', m.id)
      .execute();
    await audit(trx, SYSTEM, { placeId: m.place_id, action: 'membership.cancelled', subjectId: m.id, data });
    return { membership: 'cancelled' };
  }
  if (m.ends_on === null) return { membership: 'unchanged' };
  const paidBefore = received - (reversal.reversedCents - reversal.amountCents);
  const days = Math.floor((daysBetween(m.starts_on, m.ends_on) * (received - reversal.reversedCents)) / paidBefore);
  const endsOn = addDays(m.starts_on, days);
  await trx
    .updateTable('memberships')
    .set({ ends_on: endsOn })
    .where('place_id', '=', m.place_id)
    .where('id', '=', m.id)
    .execute();
  await audit(trx, SYSTEM, {
    placeId: m.place_id,
    action: 'membership.shortened',
    subjectId: m.id,
    data: { ...data, ends_on: endsOn },
  });
  return { membership: 'shortened', ends_on: endsOn };
}
