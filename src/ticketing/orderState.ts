import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import type { OrderStatus } from './tables.ts';
import { emitEvent } from '../webhooks/emitEvent.ts';

/** The only transitions an order may take (docs/TICKETING.md, invariant 5). */
const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'cancelled', 'expired'],
  // An expired order whose payment arrives late is paid if its places can be taken again.
  expired: ['paid'],
  paid: ['cancelled', 'refunded'],
  cancelled: [],
  refunded: [],
};

export class IllegalTransition extends Error {
  constructor(from: OrderStatus, to: OrderStatus) {
    super(`order cannot go from ${from} to ${to}`);
  }
}

/**
 * Moves an order to `to`, refusing any transition not in the table, and audits it in the caller's
 * transaction. The caller holds the order's row lock.
 */
export async function transitionOrder(
  trx: Trx,
  actor: Actor,
  order: { place_id: string; id: string; status: OrderStatus },
  to: OrderStatus,
  data: Record<string, unknown> = {},
): Promise<void> {
  if (!ALLOWED[order.status].includes(to)) throw new IllegalTransition(order.status, to);
  const moved = await trx
    .updateTable('orders')
    .set({
      status: to,
      ...(to === 'paid' ? { paid_at: sql<Date>`now()` } : {}),
      ...(to === 'cancelled' || to === 'expired' || to === 'refunded' ? { closed_at: sql<Date>`now()` } : {}),
    })
    .where('place_id', '=', order.place_id)
    .where('id', '=', order.id)
    // The status the caller read under its lock: anything else is a bug, and must not be audited as done.
    .where('status', '=', order.status)
    .returning('id')
    .executeTakeFirst();
  if (!moved) throw new Error(`order ${order.id} is not ${order.status}: transition to ${to} refused`);
  await audit(trx, actor, { placeId: order.place_id, action: `order.${to}`, subjectId: order.id, data: { from: order.status, ...data } });
  if (to === 'paid' || to === 'cancelled' || to === 'refunded') {
    // The venue's integrations get the checkout answers with the paid order (labels as they were asked).
    const answers = to !== 'paid' ? [] : await trx.selectFrom('order_answers')
      .select(['question_id', 'label', 'kind', 'value', 'line_id', 'line_rank'])
      .where('place_id', '=', order.place_id).where('order_id', '=', order.id).execute();
    await emitEvent(trx, { placeId: order.place_id, type: `order.${to}`, data: { order_id: order.id, from: order.status, to, ...(to === 'paid' ? { answers } : {}) } });
  }
}
