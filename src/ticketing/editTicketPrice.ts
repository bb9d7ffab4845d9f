import { sql } from 'kysely';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { priceColumns, readPriceFields, type TicketPriceInput } from './createTicketPrice.ts';

/**
 * Editing, deleting and closing a ticket price (docs/TICKETING.md, invariant 22). A price nobody has
 * ordered yet may be changed or deleted; once an order names it — a ticket sold, or seats held by a
 * pending order, or an order that ran out: its lines point at the price — it can only be closed
 * (taken off sale) and reopened: the sold tickets keep the price they were sold at, and nobody buys
 * at a price the venue no longer shows.
 *
 * Each runs in ONE transaction that locks the price's row FOR UPDATE (step 5 of the lock order, one
 * price row and nothing after it but new rows) and decides on the row as locked. An order takes its
 * seats by one statement that locks the same row FOR NO KEY UPDATE, which conflicts: either the order
 * committed first — its lines are then seen (READ COMMITTED reads them after the lock) and the edit is
 * refused — or the edit commits first, moving `revision`, and the order's statement, which checks the
 * revision it read on the row as locked, is refused with 409 `price-changed` and writes nothing.
 */

interface PriceRef {
  slug: string;
  eventId: string;
  priceId: string;
}

/** What a price's row says as locked: whether an order named it (and so only closing is left). */
async function lockPrice(trx: Trx, actor: Actor, ref: PriceRef) {
  if (!isUuid(ref.eventId) || !isUuid(ref.priceId)) throw notFound('ticket-price');
  const place = await getPlaceBySlug(trx, ref.slug);
  await authorize(trx, actor, place.id, 'events.write');
  const row = await trx
    .selectFrom('ticket_prices')
    .select(['id', 'name', 'active', 'taken'])
    .where('place_id', '=', place.id)
    .where('id', '=', ref.priceId)
    .where('event_id', '=', ref.eventId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('ticket-price');
  // Read after the lock, in a statement of its own: it sees every order committed before the lock.
  const ordered = await trx
    .selectFrom('order_lines')
    .select(sql<number>`1`.as('one'))
    .where('place_id', '=', place.id)
    .where('price_id', '=', row.id)
    .limit(1)
    .executeTakeFirst();
  return { place, price: row, inUse: row.taken > 0 || ordered !== undefined };
}

const inUse = (name: string) => new DomainError('price-in-use', 409, { price: name });

/** Replaces a price's fields while no order named it; else 409 `price-in-use` and nothing written. */
export async function updateTicketPrice(
  db: Db,
  actor: Actor,
  input: PriceRef & Omit<TicketPriceInput, 'slug' | 'eventId' | 'eventDateId' | 'memberPlaces'>,
): Promise<{ id: string }> {
  const f = readPriceFields(input);
  return inTransaction(db, async (trx) => {
    const { place, price, inUse: used } = await lockPrice(trx, actor, input);
    if (used) throw inUse(price.name);
    await trx
      .updateTable('ticket_prices')
      .set({
        ...priceColumns(f),
        ...(f.vatBp === null ? {} : { vat_rate_bp: f.vatBp }),
        revision: sql<number>`revision + 1`,
      })
      .where('place_id', '=', place.id)
      .where('id', '=', price.id)
      .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'ticket-price.updated',
      subjectId: price.id,
      data: { name: f.name, kind: f.kind, price_cents: f.priceCents, vat_rate_bp: f.vatBp },
    });
    return { id: price.id };
  });
}

/** Deletes a price no order named (its waiting list goes with it); else 409 `price-in-use`. */
export async function deleteTicketPrice(db: Db, actor: Actor, input: PriceRef): Promise<void> {
  await inTransaction(db, async (trx) => {
    const { place, price, inUse: used } = await lockPrice(trx, actor, input);
    if (used) throw inUse(price.name);
    // Its promo codes were never used (an order would name the price): they go with it.
    await trx.deleteFrom('promo_codes').where('place_id', '=', place.id).where('price_id', '=', price.id).execute();
    await trx.deleteFrom('ticket_prices').where('place_id', '=', place.id).where('id', '=', price.id).execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'ticket-price.deleted',
      subjectId: price.id,
      data: { name: price.name },
    });
  });
}

/**
 * Closes a price (nobody can buy it any more; what was sold stays) or reopens it: always allowed.
 * The revision moves too, so an order that read the price open and takes its seats after the close
 * is refused (`price-changed`).
 */
export async function setTicketPriceOnSale(db: Db, actor: Actor, input: PriceRef & { onSale: boolean }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const { place, price } = await lockPrice(trx, actor, input);
    if (price.active === input.onSale) return;
    await trx
      .updateTable('ticket_prices')
      .set({ active: input.onSale, revision: sql<number>`revision + 1` })
      .where('place_id', '=', place.id)
      .where('id', '=', price.id)
      .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: input.onSale ? 'ticket-price.reopened' : 'ticket-price.closed',
      subjectId: price.id,
      data: { name: price.name },
    });
  });
}
