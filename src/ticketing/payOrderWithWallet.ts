import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { payWithWallet } from '../payments/index.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { PlacedOrder } from './placeOrder.ts';

/**
 * The logged-in buyer pays their pending order from their Rezo wallet (docs/PAYMENTS.md, "Wallet
 * payments"): the order is completed and the money moved in one transaction, or nothing happens.
 * Only the order's own account may; a retry of a paid order answers paid again.
 */
export async function payOrderWithWallet(
  db: Db,
  config: Config,
  actor: Actor,
  orderOrPlaced: string | PlacedOrder,
): Promise<{ paymentId: string; status: string }> {
  requirePerson(actor);
  let order: { id: string; placeId: string; personId: string | null; totalCents: number; label: string };
  if (typeof orderOrPlaced === 'string') {
    if (!isUuid(orderOrPlaced)) throw notFound('order');
    const row = await db
      .selectFrom('orders')
      .select(['id', 'place_id', 'person_id', 'total_cents', 'reference'])
      .where('id', '=', orderOrPlaced)
      .executeTakeFirst();
    if (!row) throw notFound('order');
    order = {
      id: row.id,
      placeId: row.place_id,
      personId: row.person_id,
      totalCents: row.total_cents,
      label: row.reference,
    };
  } else {
    const p = orderOrPlaced;
    order = {
      id: p.id,
      placeId: p.placeId,
      personId: p.personId,
      totalCents: p.totalCents,
      label: `${p.placeName} — ${p.reference}`,
    };
  }
  if (order.personId !== actor.personId) throw notFound('order');
  if (order.totalCents <= 0) throw new DomainError('order-not-payable', 409);
  return payWithWallet(db, config, actor, {
    purpose: 'order',
    subjectId: order.id,
    placeId: order.placeId,
    amountCents: order.totalCents,
    label: order.label,
  });
}
