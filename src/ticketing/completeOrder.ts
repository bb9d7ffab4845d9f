import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sql } from 'kysely';
import { holdingOf, takePlaces, takePromoUse } from './places.ts';
import { transitionOrder } from './orderState.ts';
import { queueOrderConfirmation } from './orderConfirmation.ts';
import type { OrderStatus } from './tables.ts';

/**
 * Makes a pending (or late, expired) order paid and issues its tickets, in the caller's transaction,
 * under the order's row lock. An expired order first takes its places again — conditional updates,
 * so it can fail when they were sold meanwhile: then it returns false and the caller refunds.
 */
export async function completeOrder(trx: Trx, config: Config, actor: Actor, orderId: string, paymentId: string | null): Promise<boolean> {
  const order = await trx
    .selectFrom('orders')
    .select(['place_id', 'id', 'status', 'promo_code_id', 'name'])
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
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
  } else if (order.status !== 'pending') {
    return false;
  }
  await transitionOrder(trx, actor, order as { place_id: string; id: string; status: OrderStatus }, 'paid', { payment_id: paymentId });
  if (paymentId) await trx.updateTable('orders').set({ payment_id: paymentId }).where('place_id', '=', order.place_id).where('id', '=', order.id).execute();
  const lines = await trx.selectFrom('order_lines').selectAll().where('place_id', '=', order.place_id).where('order_id', '=', order.id).execute();
  const tickets = lines.flatMap((l) =>
    Array.from({ length: l.quantity }, () => ({
      place_id: order.place_id, id: uuidv7(), order_id: order.id, line_id: l.id, event_id: l.event_id,
      event_date_id: l.event_date_id, price_id: l.price_id, holder_name: order.name, status: 'valid' as const,
    })),
  );
  if (tickets.length > 0) await trx.insertInto('tickets').values(tickets).execute();
  await queueOrderConfirmation(trx, config, order.id);
  return true;
}
