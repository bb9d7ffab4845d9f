import { sql, type ExpressionBuilder, type Updateable } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { TicketPricesTable } from './tables.ts';
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
    .select(['place_id', 'id', 'name', 'active', 'taken'])
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

type PriceChange = Updateable<TicketPricesTable> | 'delete';

/** Writes one change of the locked price — a new revision, or its deletion — and its audit entry. */
async function writePrice(
  trx: Trx,
  actor: Actor,
  price: { place_id: string; id: string },
  change: PriceChange,
  audited: { action: string; data: Record<string, unknown> },
) {
  const row = (eb: ExpressionBuilder<DB, 'ticket_prices'>) =>
    eb.and([eb('place_id', '=', price.place_id), eb('id', '=', price.id)]);
  if (change === 'delete') await trx.deleteFrom('ticket_prices').where(row).execute();
  else
    await trx
      .updateTable('ticket_prices')
      .set({ ...change, revision: sql<number>`revision + 1` })
      .where(row)
      .execute();
  await audit(trx, actor, {
    placeId: price.place_id,
    action: `ticket-price.${audited.action}`,
    subjectId: price.id,
    data: audited.data,
  });
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
    const { price, inUse: used } = await lockPrice(trx, actor, input);
    if (used) throw inUse(price.name);
    await writePrice(
      trx,
      actor,
      price,
      { ...priceColumns(f), ...(f.vatBp === null ? {} : { vat_rate_bp: f.vatBp }) },
      {
        action: 'updated',
        data: { name: f.name, kind: f.kind, price_cents: f.priceCents, vat_rate_bp: f.vatBp },
      },
    );
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
    await writePrice(trx, actor, price, 'delete', { action: 'deleted', data: { name: price.name } });
  });
}

/**
 * Closes a price (nobody can buy it any more; what was sold stays) or reopens it: always allowed.
 * The revision moves too, so an order that read the price open and takes its seats after the close
 * is refused (`price-changed`).
 */
export async function setTicketPriceOnSale(db: Db, actor: Actor, input: PriceRef & { onSale: boolean }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const { price } = await lockPrice(trx, actor, input);
    if (price.active === input.onSale) return;
    await writePrice(
      trx,
      actor,
      price,
      { active: input.onSale },
      {
        action: input.onSale ? 'reopened' : 'closed',
        data: { name: price.name },
      },
    );
  });
}
