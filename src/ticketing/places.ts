import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';

/** What an order holds: places per date, per price, and the promo code it used. */
export interface Holding {
  placeId: string;
  perDate: Map<string, number>;
  perPrice: Map<string, number>;
  promoCodeId: string | null;
}

/**
 * Raw conditions below are parenthesised: Kysely joins `where` clauses with AND without wrapping
 * them, and an unwrapped OR would apply the update to every row of every venue.
 *
 * Takes places: one conditional UPDATE per counter (docs/TICKETING.md, invariant 1). Returns the
 * first counter that had not enough left, or null when everything was taken. Counters are taken
 * in a fixed order (dates then prices, each sorted by id) so concurrent orders never deadlock.
 */
export async function takePlaces(trx: Trx, h: Holding): Promise<{ kind: 'date' | 'price'; id: string } | null> {
  for (const [dateId, n] of [...h.perDate].sort(([a], [b]) => a.localeCompare(b))) {
    const capped = await trx.selectFrom('date_capacity').select('capacity').where('place_id', '=', h.placeId).where('event_date_id', '=', dateId).executeTakeFirst();
    if (!capped) continue; // no capacity set: unlimited
    const ok = await trx
      .updateTable('date_capacity')
      .set({ taken: sql<number>`taken + ${n}` })
      .where('place_id', '=', h.placeId)
      .where('event_date_id', '=', dateId)
      .where(sql<boolean>`taken + ${n} <= capacity`)
      .returning('taken')
      .executeTakeFirst();
    if (!ok) return { kind: 'date', id: dateId };
  }
  for (const [priceId, n] of [...h.perPrice].sort(([a], [b]) => a.localeCompare(b))) {
    const ok = await trx
      .updateTable('ticket_prices')
      .set({ taken: sql<number>`taken + ${n}` })
      .where('place_id', '=', h.placeId)
      .where('id', '=', priceId)
      .where(sql<boolean>`(stock is null or taken + ${n} <= stock)`)
      .returning('taken')
      .executeTakeFirst();
    if (!ok) return { kind: 'price', id: priceId };
  }
  return null;
}

/** Gives places back (an order expired, was cancelled or refunded). */
export async function releasePlaces(trx: Trx, h: Holding): Promise<void> {
  for (const [dateId, n] of [...h.perDate].sort(([a], [b]) => a.localeCompare(b))) {
    await trx.updateTable('date_capacity').set({ taken: sql<number>`greatest(taken - ${n}, 0)` }).where('place_id', '=', h.placeId).where('event_date_id', '=', dateId).execute();
  }
  for (const [priceId, n] of [...h.perPrice].sort(([a], [b]) => a.localeCompare(b))) {
    await trx.updateTable('ticket_prices').set({ taken: sql<number>`greatest(taken - ${n}, 0)` }).where('place_id', '=', h.placeId).where('id', '=', priceId).execute();
  }
  if (h.promoCodeId) {
    await trx.updateTable('promo_codes').set({ used: sql<number>`greatest(used - 1, 0)` }).where('place_id', '=', h.placeId).where('id', '=', h.promoCodeId).execute();
  }
}

/** Takes one use of a promo code (invariant 2); false when it has no use left. */
export async function takePromoUse(trx: Trx, placeId: string, promoCodeId: string): Promise<boolean> {
  const ok = await trx
    .updateTable('promo_codes')
    .set({ used: sql<number>`used + 1` })
    .where('place_id', '=', placeId)
    .where('id', '=', promoCodeId)
    .where(sql<boolean>`(max_uses is null or used < max_uses)`)
    .returning('used')
    .executeTakeFirst();
  return Boolean(ok);
}

/** What an existing order holds, from its lines. */
export async function holdingOf(trx: Trx, placeId: string, orderId: string, promoCodeId: string | null): Promise<Holding> {
  const lines = await trx.selectFrom('order_lines').select(['event_date_id', 'price_id', 'quantity']).where('place_id', '=', placeId).where('order_id', '=', orderId).execute();
  const h: Holding = { placeId, perDate: new Map(), perPrice: new Map(), promoCodeId };
  for (const l of lines) {
    h.perDate.set(l.event_date_id, (h.perDate.get(l.event_date_id) ?? 0) + l.quantity);
    h.perPrice.set(l.price_id, (h.perPrice.get(l.price_id) ?? 0) + l.quantity);
  }
  return h;
}
