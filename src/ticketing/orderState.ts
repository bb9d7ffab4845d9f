import { sql, type RawBuilder } from 'kysely';
import type { Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import type { OrderStatus } from './tables.ts';
import { emitEvent } from '../webhooks/index.ts';
import { AUDIT_INTO, auditRow } from './auditRow.ts';

/** The only transitions an order may take (docs/TICKETING.md, invariant 5). */
const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'cancelled', 'expired'],
  // An expired order whose payment arrives late is paid if its seats can be taken again.
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

export interface TransitionOptions {
  /**
   * Further writes made by the same statement, only if the order moved: `name as (…)` clauses
   * (joined with commas) that must test `exists (select 1 from moved)` (e.g. the tickets of a paid order).
   */
  alsoWrite?: RawBuilder<unknown>;
  /**
   * Whether the venue has an active endpoint for this event type, when the caller read it already
   * under the order's lock (completeOrder): the event is only emitted to them.
   */
  listening?: boolean;
}

/**
 * Moves an order to `to`, refusing any transition not in the table, and audits it in the caller's
 * transaction — the move, its audit entry (and the caller's `alsoWrite`) in one statement. The caller
 * holds the order's row lock.
 */
export async function transitionOrder(
  trx: Trx,
  actor: Actor,
  order: { place_id: string; id: string; status: OrderStatus },
  to: OrderStatus,
  data: Record<string, unknown> = {},
  options: TransitionOptions = {},
): Promise<void> {
  if (!ALLOWED[order.status].includes(to)) throw new IllegalTransition(order.status, to);
  const emits = to === 'paid' || to === 'cancelled' || to === 'refunded';
  const checkListeners = emits && options.listening === undefined;
  // `status = <the status the caller read under its lock>`: anything else is a bug, and must not be
  // audited as done.
  const { rows } = await sql<{ moved: number; listening: boolean }>`
    with moved as (
      update orders
         set status = ${to},
             -- Expired or cancelled: the caller gave the places back, unconfirmed ones included (invariant 21).
             unconfirmed_hold = ${to === 'expired' || to === 'cancelled' ? sql`false` : sql`unconfirmed_hold`},
             paid_at = ${to === 'paid' ? sql`now()` : sql`paid_at`},
             closed_at = ${to === 'cancelled' || to === 'expired' || to === 'refunded' ? sql`now()` : sql`closed_at`}
       where place_id = ${order.place_id} and id = ${order.id} and status = ${order.status}
      returning id),
    logged as (
      insert into ${AUDIT_INTO}
      ${auditRow(actor, { placeId: order.place_id, action: `order.${to}`, subjectId: order.id, data: { from: order.status, ...data } })}
       where exists (select 1 from moved))
    ${options.alsoWrite ? sql`, ${options.alsoWrite}` : sql``}
    select (select count(*) from moved)::int as moved,
      ${checkListeners ? sql`exists (select 1 from webhook_endpoints w where w.place_id = ${order.place_id} and w.active and ${`order.${to}`} = any(w.events))` : sql`false`} as listening`.execute(
    trx,
  );
  if (rows[0]!.moved !== 1) throw new Error(`order ${order.id} is not ${order.status}: transition to ${to} refused`);
  if (emits && (options.listening ?? rows[0]!.listening)) {
    // The venue's integrations get the checkout answers with the paid order (labels as they were asked).
    const answers =
      to !== 'paid'
        ? []
        : await trx
            .selectFrom('order_answers')
            .select(['question_id', 'label', 'kind', 'value', 'line_id', 'line_rank'])
            .where('place_id', '=', order.place_id)
            .where('order_id', '=', order.id)
            .execute();
    await emitEvent(trx, {
      placeId: order.place_id,
      type: `order.${to}`,
      data: { order_id: order.id, from: order.status, to, ...(to === 'paid' ? { answers } : {}) },
    });
  }
}
