import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { hashToken } from '../shared/secrets.ts';
import { completeOrder } from './completeOrder.ts';

/**
 * The link mailed for a free booking confirms it (docs/TICKETING.md, invariant 7): proof that the
 * address is the booker's. Opening it twice is harmless; an expired booking is confirmed only if its
 * seats are still free.
 */
export async function confirmFreeOrder(db: Db, config: Config, token: string): Promise<{ orderId: string }> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new DomainError('booking-link-invalid', 400);
  return inTransaction(db, async (trx) => {
    const order = await trx
      .selectFrom('orders')
      .select(['id', 'status', 'total_cents'])
      .where('confirm_token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!order || order.total_cents !== 0) throw new DomainError('booking-link-invalid', 400);
    if (order.status === 'paid') return { orderId: order.id };
    if (!(await completeOrder(trx, config, SYSTEM, order.id, null))) throw new DomainError('booking-too-late', 409);
    return { orderId: order.id };
  });
}
