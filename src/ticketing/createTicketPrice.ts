import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { getPlaceBySlug, placeIdsBySlugs, vatDefaultsOf } from '../places/index.ts';
import { eventDateIds, eventOfPlace } from '../agenda/index.ts';
import type { PriceKind } from './tables.ts';

const KINDS: readonly PriceKind[] = ['fixed', 'free', 'pay_what_you_want', 'member_only'];

export interface TicketPriceInput {
  slug: string;
  eventId: string;
  /** One date only; every date of the event when absent. */
  eventDateId?: string | null;
  name: unknown;
  kind: unknown;
  /** Euros as typed, or cents as a number. */
  price?: unknown;
  minPrice?: unknown;
  stock?: unknown;
  perOrderLimit?: unknown;
  perPersonLimit?: unknown;
  salesOpenAt?: unknown;
  salesCloseAt?: unknown;
  /** VAT rate in percent, "5,5" or 5.5 → 550 basis points. */
  vatRate?: unknown;
  /** member_only: slugs of the venues whose membership counts (this venue when empty). */
  memberPlaces?: string[];
}

const cents = (v: unknown): number | null =>
  typeof v === 'number' ? (Number.isSafeInteger(v) && v >= 0 ? v : null) : typeof v === 'string' ? parseEuros(v) : null;
const whole = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v)
    ? v
    : typeof v === 'string' && /^\d{1,6}$/.test(v.trim())
      ? Number(v)
      : null;
const instant = (v: unknown): Date | null => {
  if (v instanceof Date) return v;
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** A price's fields as checked: what createTicketPrice writes and updateTicketPrice replaces. */
export interface PriceFields {
  name: string;
  kind: PriceKind;
  priceCents: number;
  minPriceCents: number;
  stock: number | null;
  perOrderLimit: number;
  perPersonLimit: number | null;
  salesOpenAt: Date | null;
  salesCloseAt: Date | null;
  /** null: not given, the venue's default for show tickets applies (docs/TICKETING.md, "VAT"). */
  vatBp: number | null;
}

/** Reads and checks a price's fields (a form's strings or an API's numbers); throws a 422 listing each fault. */
export function readPriceFields(input: Omit<TicketPriceInput, 'slug' | 'eventId'>): PriceFields {
  const errors = new FieldErrors();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) errors.add('name', 'required');
  else if (name.length > 120) errors.add('name', 'too-long', { max: 120 });
  const kind = input.kind as PriceKind;
  if (!KINDS.includes(kind)) errors.add('price_kind', 'choice');
  const price = input.price === undefined || input.price === '' ? 0 : cents(input.price);
  if (price === null) errors.add('price', 'amount');
  else if (price > MAX_AMOUNT_MINOR) errors.add('price', 'amount-too-large', { max: MAX_AMOUNT_MINOR / 100 });
  if (kind === 'fixed' && !price) errors.add('price', 'price-required');
  const minPrice = input.minPrice === undefined || input.minPrice === '' ? 0 : cents(input.minPrice);
  if (minPrice === null) errors.add('minPrice', 'amount');
  else if (minPrice > MAX_AMOUNT_MINOR) errors.add('minPrice', 'amount-too-large', { max: MAX_AMOUNT_MINOR / 100 });
  const stock = input.stock === undefined || input.stock === '' || input.stock === null ? null : whole(input.stock);
  if (input.stock !== undefined && input.stock !== '' && input.stock !== null && stock === null)
    errors.add('stock', 'range-between', { min: 0, max: 999999 });
  const perOrder = input.perOrderLimit === undefined || input.perOrderLimit === '' ? 10 : whole(input.perOrderLimit);
  if (perOrder === null || perOrder < 1 || perOrder > 100)
    errors.add('perOrderLimit', 'range-between', { min: 1, max: 100 });
  const perPerson =
    input.perPersonLimit === undefined || input.perPersonLimit === '' || input.perPersonLimit === null
      ? null
      : whole(input.perPersonLimit);
  if (
    input.perPersonLimit !== undefined &&
    input.perPersonLimit !== '' &&
    input.perPersonLimit !== null &&
    (perPerson === null || perPerson < 1)
  )
    errors.add('perPersonLimit', 'range-between', { min: 1, max: 999999 });
  const open = instant(input.salesOpenAt);
  const close = instant(input.salesCloseAt);
  if (input.salesOpenAt && !open) errors.add('salesOpenAt', 'format');
  if (input.salesCloseAt && !close) errors.add('salesCloseAt', 'format');
  if (open && close && open >= close) errors.add('salesCloseAt', 'end-before-start');
  let vatBp: number | null = null;
  if (input.vatRate !== undefined && input.vatRate !== '' && input.vatRate !== null) {
    const m = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(String(input.vatRate).trim());
    vatBp = m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : -1;
    if (vatBp < 0 || vatBp > 10000) errors.add('vatRate', 'range-between', { min: 0, max: 100 });
  }
  errors.throwIfAny();
  return {
    name,
    kind,
    priceCents: kind === 'free' ? 0 : price!,
    minPriceCents: kind === 'pay_what_you_want' ? minPrice! : 0,
    stock,
    perOrderLimit: perOrder!,
    perPersonLimit: perPerson,
    salesOpenAt: open,
    salesCloseAt: close,
    vatBp,
  };
}

/**
 * A venue's editor sets a price for one of its events. The event's capacity (if any) becomes the
 * shared capacity of each of its dates here, so every price of a date draws on the same counter.
 * Without a VAT rate, the price gets the venue's default for show tickets (its location's row of
 * `vat_defaults`; 0 where there is none).
 */
export async function createTicketPrice(db: Db, actor: Actor, input: TicketPriceInput): Promise<{ id: string }> {
  const f = readPriceFields(input);
  if (!isUuid(input.eventId) || (input.eventDateId && !isUuid(input.eventDateId)))
    throw new DomainError('validation', 422, {}, [{ field: 'eventId', message: 'choice' }]);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'events.write');
    const event = await eventOfPlace(trx, place.id, input.eventId);
    if (!event) throw new DomainError('validation', 422, {}, [{ field: 'eventId', message: 'choice' }]);
    const dates = await eventDateIds(trx, place.id, event.id);
    if (input.eventDateId && !dates.includes(input.eventDateId))
      throw new DomainError('validation', 422, {}, [{ field: 'eventDateId', message: 'choice' }]);
    let memberPlaceIds: string[] = [];
    if (f.kind === 'member_only' && input.memberPlaces?.length) {
      const found = await placeIdsBySlugs(trx, input.memberPlaces);
      if (found.size !== new Set(input.memberPlaces).size)
        throw new DomainError('validation', 422, {}, [{ field: 'memberPlaces', message: 'choice' }]);
      memberPlaceIds = [...found.values()];
    }
    if (event.capacity !== null && dates.length > 0) {
      await trx
        .insertInto('date_capacity')
        .values(dates.map((d) => ({ place_id: place.id, event_date_id: d, capacity: event.capacity! })))
        .onConflict((oc) => oc.columns(['place_id', 'event_date_id']).doNothing())
        .execute();
    }
    const id = uuidv7();
    await trx
      .insertInto('ticket_prices')
      .values({
        place_id: place.id,
        id,
        event_id: event.id,
        event_date_id: input.eventDateId ?? null,
        ...priceColumns(f),
        vat_rate_bp: f.vatBp ?? (await vatDefaultsOf(trx, place.id))?.showBp ?? 0,
        member_place_ids: memberPlaceIds,
      })
      .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'ticket-price.created',
      subjectId: id,
      data: { name: f.name, kind: f.kind, price_cents: f.priceCents },
    });
    return { id };
  });
}

/** The columns of a price's fields (not its VAT, which may come from the venue's default). */
export function priceColumns(f: PriceFields) {
  return {
    name: f.name,
    kind: f.kind,
    price_cents: f.priceCents,
    min_price_cents: f.minPriceCents,
    stock: f.stock,
    per_order_limit: f.perOrderLimit,
    per_person_limit: f.perPersonLimit,
    sales_open_at: f.salesOpenAt,
    sales_close_at: f.salesCloseAt,
  };
}
