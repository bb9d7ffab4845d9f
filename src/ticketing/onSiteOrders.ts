/** The reads of payment on site: an order's hold for the buyer's page, and the door's list of orders to collect. */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { authorize } from '../access/permissions.ts';
import type { Actor } from '../access/actor.ts';
import { onSitePaymentId, paymentsByIds } from '../payments/index.ts';

/** An order held for payment on site and not paid yet: what it costs and until when it is held. */
export interface OnSiteHold {
  orderId: string;
  reference: string;
  email: string;
  holderName: string;
  totalCents: number;
  deadline: Date;
}

/**
 * The order's on-site hold when it still waits for its money (order pending, payment pending), or null:
 * the order's page says "not paid yet, pay before …" only then.
 */
export async function onSiteHoldOf(db: Db, order: { id: string; status: string }): Promise<Date | null> {
  if (order.status !== 'pending') return null;
  const id = onSitePaymentId('order', order.id);
  const payment = (await paymentsByIds(db, [id])).get(id);
  if (!payment || payment.status !== 'pending') return null;
  const row = await db.selectFrom('orders').select('expires_at').where('id', '=', order.id).executeTakeFirst();
  return row?.expires_at ?? null;
}

/** Orders listed at once at most: the door searches by name, reference or address beyond that. */
const LIMIT = 50;

/**
 * The event's orders held for payment on site and still payable (pending, deadline not passed, their
 * on-site payment pending), soonest deadline first; `q` (2 characters at least) narrows them to a name,
 * reference or address containing it. For the people who may mark them paid (`onsite.pay`).
 */
export async function unpaidOnSiteOrders(
  db: Db,
  actor: Actor,
  input: { placeId: string; eventId: string; q?: string },
): Promise<OnSiteHold[]> {
  await authorize(db, actor, input.placeId, 'onsite.pay');
  const typed = (input.q ?? '').trim().slice(0, 100);
  let query = db
    .selectFrom('orders as o')
    .select(['o.id', 'o.reference', 'o.email', 'o.name', 'o.total_cents', 'o.expires_at'])
    .where('o.place_id', '=', input.placeId)
    .where('o.status', '=', 'pending')
    .where('o.expires_at', '>', sql<Date>`now()`)
    .where('o.total_cents', '>', 0)
    .where(
      sql<boolean>`exists (select 1 from order_lines l where l.place_id = o.place_id and l.order_id = o.id and l.event_id = ${input.eventId})`,
    );
  if (typed.length >= 2) {
    const pattern = `%${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(
      sql<boolean>`(o.name ilike ${pattern} or o.reference ilike ${pattern} or o.email ilike ${pattern})`,
    );
  }
  const orders = await query
    .orderBy('o.expires_at')
    .orderBy('o.id')
    .limit(LIMIT * 4)
    .execute();
  const payments = await paymentsByIds(
    db,
    orders.map((o) => onSitePaymentId('order', o.id)),
  );
  return orders
    .filter((o) => payments.get(onSitePaymentId('order', o.id))?.status === 'pending')
    .slice(0, LIMIT)
    .map((o) => ({
      orderId: o.id,
      reference: o.reference,
      email: o.email,
      holderName: o.name ?? '',
      totalCents: o.total_cents,
      deadline: o.expires_at,
    }));
}

/** Whether the actor may collect on-site payments at the venue (the pages show the list only then). */
export async function mayCollectOnSite(db: Db, actor: Actor, placeId: string): Promise<boolean> {
  try {
    await authorize(db, actor, placeId, 'onsite.pay');
    return true;
  } catch {
    return false;
  }
}
