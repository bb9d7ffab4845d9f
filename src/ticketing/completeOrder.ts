import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import type { Language } from '../i18n/i18n.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sql } from 'kysely';
import { takeSeats, type Holding } from './seats.ts';
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
  /** Whether the venue has an active webhook endpoint for `order.paid`. */
  listening: boolean;
}

/**
 * Makes a pending (or late, expired) order paid and issues its tickets, in the caller's transaction,
 * under the order's row lock. An expired order first takes its seats again — conditional updates,
 * so it can fail when they were sold meanwhile: then it returns false and the caller refunds.
 *
 * This runs under the payment's and the order's row locks (confirmPayment), so it keeps its round
 * trips few: one statement locks the order, records a pending order's payment and reads what the
 * tickets and the confirmation need (its lines, its venue's name, whether a webhook endpoint listens);
 * one statement moves it to paid, audits it and issues the tickets (transitionOrder); the mail is
 * queued with its PDF to be rendered at delivery (orderConfirmation.ts).
 */
export async function completeOrder(
  trx: Trx,
  config: Config,
  actor: Actor,
  orderId: string,
  paymentId: string | null,
): Promise<boolean> {
  const { rows } = await sql<LockedForCompletion>`
    update orders o
       set payment_id = case when o.status = 'pending' and ${paymentId}::uuid is not null then ${paymentId}::uuid else o.payment_id end
      from places pl
     where o.id = ${orderId} and pl.id = o.place_id
    returning o.place_id, o.id, o.status, o.promo_code_id, o.name, o.email, o.language, o.reference, pl.name as place_name,
      (select coalesce(json_agg(json_build_object('id', l.id, 'event_id', l.event_id, 'event_date_id', l.event_date_id, 'price_id', l.price_id, 'quantity', l.quantity) order by l.id), '[]'::json)
         from order_lines l where l.place_id = o.place_id and l.order_id = o.id) as lines,
      exists (select 1 from webhook_endpoints w where w.place_id = o.place_id and w.active and 'order.paid' = any(w.events)) as listening`.execute(
    trx,
  );
  const order = rows[0];
  if (!order) return false;
  if (order.status === 'expired') {
    // Expiry gave back its seats and promo use: take them again, all or none, in one statement
    // that writes nothing when one is short (then the caller refunds).
    const holding: Holding = {
      placeId: order.place_id,
      perDate: new Map(),
      perPrice: new Map(),
      promoCodeId: order.promo_code_id,
    };
    for (const l of order.lines) {
      holding.perDate.set(l.event_date_id, (holding.perDate.get(l.event_date_id) ?? 0) + l.quantity);
      holding.perPrice.set(l.price_id, (holding.perPrice.get(l.price_id) ?? 0) + l.quantity);
    }
    if ((await takeSeats(trx, holding)).short !== null) return false;
    if (paymentId)
      await trx
        .updateTable('orders')
        .set({ payment_id: paymentId })
        .where('place_id', '=', order.place_id)
        .where('id', '=', order.id)
        .execute();
  } else if (order.status !== 'pending') {
    return false;
  }
  // The move to paid, its audit entry and the tickets: one statement.
  const tickets = order.lines.flatMap((l) =>
    Array.from({ length: l.quantity }, () => ({
      id: uuidv7(),
      line_id: l.id,
      event_id: l.event_id,
      event_date_id: l.event_date_id,
      price_id: l.price_id,
    })),
  );
  await transitionOrder(
    trx,
    actor,
    order,
    'paid',
    { payment_id: paymentId },
    {
      listening: order.listening,
      alsoWrite: sql`issued as (
      insert into tickets (place_id, id, order_id, line_id, event_id, event_date_id, price_id, holder_name, status)
      select ${order.place_id}::uuid, x.id, ${order.id}::uuid, x.line_id, x.event_id, x.event_date_id, x.price_id, ${order.name}, 'valid'
        from json_to_recordset(${JSON.stringify(tickets)}::json) as x(id uuid, line_id uuid, event_id uuid, event_date_id uuid, price_id uuid)
       where exists (select 1 from moved))`,
    },
  );
  await queueOrderConfirmation(trx, config, order);
  return true;
}
