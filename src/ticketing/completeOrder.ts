import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import type { Language } from '../db/schema.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sql } from 'kysely';
import { holdingOf, takePlaces, takePromoUse } from './places.ts';
import { transitionOrder } from './orderState.ts';
import { queueOrderConfirmation } from './orderConfirmation.ts';
import type { OrderStatus } from './tables.ts';

interface LockedForCompletion {
  place_id: string;
  id: string;
  status: OrderStatus;
  promo_code_id: string | null;
  name: string;
  email: string;
  language: Language;
  reference: string;
  place_name: string;
  lines: { id: string; event_id: string; event_date_id: string; price_id: string; quantity: number }[];
}

/**
 * Makes a pending (or late, expired) order paid and issues its tickets, in the caller's transaction,
 * under the order's row lock. An expired order first takes its places again — conditional updates,
 * so it can fail when they were sold meanwhile: then it returns false and the caller refunds.
 *
 * This runs under the payment's and the order's row locks (confirmPayment), so it keeps its round
 * trips few: one statement locks the order, records a pending order's payment and reads what the
 * tickets and the confirmation need (its lines, its venue's name); the tickets are one insert; the
 * mail is queued with its PDF to be rendered at delivery (orderConfirmation.ts).
 */
export async function completeOrder(trx: Trx, config: Config, actor: Actor, orderId: string, paymentId: string | null): Promise<boolean> {
  const { rows } = await sql<LockedForCompletion>`
    update orders o
       set payment_id = case when o.status = 'pending' and ${paymentId}::uuid is not null then ${paymentId}::uuid else o.payment_id end
      from places pl
     where o.id = ${orderId} and pl.id = o.place_id
    returning o.place_id, o.id, o.status, o.promo_code_id, o.name, o.email, o.language, o.reference, pl.name as place_name,
      (select coalesce(json_agg(json_build_object('id', l.id, 'event_id', l.event_id, 'event_date_id', l.event_date_id, 'price_id', l.price_id, 'quantity', l.quantity) order by l.id), '[]'::json)
         from order_lines l where l.place_id = o.place_id and l.order_id = o.id) as lines`.execute(trx);
  const order = rows[0];
  if (!order) return false;
  if (order.status === 'expired') {
    // Expiry gave back its places and promo use: take them again, all or none. The savepoint undoes
    // the counters already taken when a later one is short, since the caller's transaction goes on
    // (to queue the refund).
    await sql`savepoint retake`.execute(trx);
    const short = await takePlaces(trx, await holdingOf(trx, order.place_id, order.id, null));
    const promoOk = short === null && (!order.promo_code_id || (await takePromoUse(trx, order.place_id, order.promo_code_id)));
    if (short !== null || !promoOk) {
      await sql`rollback to savepoint retake`.execute(trx);
      return false;
    }
    await sql`release savepoint retake`.execute(trx);
    if (paymentId) await trx.updateTable('orders').set({ payment_id: paymentId }).where('place_id', '=', order.place_id).where('id', '=', order.id).execute();
  } else if (order.status !== 'pending') {
    return false;
  }
  await transitionOrder(trx, actor, order, 'paid', { payment_id: paymentId });
  const tickets = order.lines.flatMap((l) =>
    Array.from({ length: l.quantity }, () => ({
      place_id: order.place_id, id: uuidv7(), order_id: order.id, line_id: l.id, event_id: l.event_id,
      event_date_id: l.event_date_id, price_id: l.price_id, holder_name: order.name, status: 'valid' as const,
    })),
  );
  if (tickets.length > 0) await trx.insertInto('tickets').values(tickets).execute();
  await queueOrderConfirmation(trx, config, order);
  return true;
}
