import type Stripe from 'stripe';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { cancelOrderInTransaction, sendRefundsAfterCommit } from './cancelOrder.ts';
import { creditOffer, readRefundTo } from './creditRefund.ts';
import { eventOfPlace } from '../agenda/index.ts';

export interface BulkCancelResult {
  cancelled: number;
  /** Cancelled meanwhile by someone else. */
  already: number;
  /** Could not be cancelled (e.g. paid for a moment ago and refunded): left as they were. */
  failed: number;
  refundCents: number;
  /** Credited to buyers' wallets instead (when the venue chose credit). */
  creditCents: number;
}

/**
 * The venue cancels every pending and paid order of one of its events (docs/TICKETING.md, invariant
 * 11): each order in its own transaction, so one failure does not block the others. An order that
 * also holds seats of another event is cancelled whole: an order is paid and refunded as one.
 */
export async function cancelEventOrders(
  db: Db,
  stripe: Stripe | null,
  actor: Actor,
  input: { slug: string; eventId: unknown; refundTo?: unknown },
): Promise<BulkCancelResult> {
  if (typeof input.eventId !== 'string' || !isUuid(input.eventId)) throw notFound('event');
  const eventId = input.eventId;
  const refundTo = readRefundTo(input.refundTo);
  const place = await getPlaceBySlug(db, input.slug);
  await authorize(db, actor, place.id, 'events.write');
  // Credit chosen: the venue must offer it; orders that cannot be credited (placed without an account,
  // paid otherwise) are refunded to their payment, so the event is cancelled whole either way.
  if (refundTo === 'credit' && !(await creditOffer(db, place.id))) throw new DomainError('credit-not-offered', 409);
  const event = await eventOfPlace(db, place.id, eventId);
  if (!event) throw notFound('event');
  const orders = await db
    .selectFrom('orders as o')
    .select('o.id')
    .where('o.place_id', '=', place.id)
    .where('o.status', 'in', ['pending', 'paid'])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('order_lines as l')
          .select('l.id')
          .whereRef('l.place_id', '=', 'o.place_id')
          .whereRef('l.order_id', '=', 'o.id')
          .where('l.event_id', '=', eventId),
      ),
    )
    .orderBy('o.id')
    .execute();
  const result: BulkCancelResult = { cancelled: 0, already: 0, failed: 0, refundCents: 0, creditCents: 0 };
  for (const { id } of orders) {
    try {
      const one = await inTransaction(db, async (trx) => {
        // Rights are read again in each transaction: a role removed mid-way stops the rest.
        await authorize(trx, actor, place.id, 'events.write');
        return cancelOrderInTransaction(
          trx,
          actor,
          id,
          'event',
          undefined,
          refundTo === 'credit' ? 'credit_when_possible' : 'payment',
        );
      });
      if (one.outcome === 'cancelled') result.cancelled++;
      else result.already++;
      result.refundCents += one.refundCents;
      result.creditCents += one.creditCents;
    } catch {
      result.failed++;
    }
  }
  await inTransaction(db, (trx) =>
    audit(trx, actor, { placeId: place.id, action: 'event.orders-cancelled', subjectId: eventId, data: { ...result } }),
  );
  if (result.refundCents > 0) await sendRefundsAfterCommit(db, stripe);
  return result;
}
