import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import type { Question } from './questions.ts';

/**
 * What placing an order reads before it takes seats (placeOrder.ts): everything in one round trip
 * (the venue, prices, dates, questions, counters, promo codes), and what a buyer already holds.
 */

export interface PriceRow {
  id: string;
  event_id: string;
  event_date_id: string | null;
  name: string;
  kind: 'fixed' | 'free' | 'pay_what_you_want' | 'member_only';
  price_cents: number;
  min_price_cents: number;
  member_place_ids: string[];
  stock: number | null;
  taken: number;
  per_order_limit: number;
  per_person_limit: number | null;
  sales_open_at: Date | null;
  sales_close_at: Date | null;
  vat_rate_bp: number;
  active: boolean;
  /** Checked under the row's lock when the seats are taken (invariant 22). */
  revision: number;
}

export interface PromoRow {
  id: string;
  event_id: string;
  price_id: string | null;
  percent_off: number | null;
  amount_off_cents: number | null;
  max_uses: number | null;
  used: number;
}

/**
 * One statement: the venue, the prices and dates (with their events) of the lines, the events'
 * questions, the dates' capacity counters, whether a hold on these dates has run out, and the promo
 * codes of that name. JSON aggregates, so a single round trip whatever the number of lines.
 */
export async function readForOrder(db: Db, slug: string, dateIds: string[], priceIds: string[], promoCode: string) {
  const { rows } = await sql<{
    id: string;
    timezone: string;
    name: string;
    prices: (Omit<PriceRow, 'sales_open_at' | 'sales_close_at'> & {
      sales_open_at: string | null;
      sales_close_at: string | null;
    })[];
    dates: { id: string; event_id: string; starts_at: string; state: string; visibility: string; title: string }[];
    questions: {
      id: string;
      event_id: string;
      label: string;
      kind: Question['kind'];
      choices: string[];
      required: boolean;
      per_ticket: boolean;
      position: number;
    }[];
    capacity: { id: string; capacity: number; taken: number; held_unconfirmed: number }[];
    expired_holds: boolean;
    unconfirmed_to_settle: boolean;
    promos: PromoRow[];
  }>`
    select p.id, p.timezone, p.name,
      coalesce((select json_agg(t) from ticket_prices t where t.place_id = p.id and t.id = any(${priceIds}::uuid[])), '[]'::json) as prices,
      coalesce((select json_agg(json_build_object('id', d.id, 'event_id', d.event_id, 'starts_at', d.starts_at, 'state', e.state, 'visibility', e.visibility, 'title', e.title))
         from event_dates d join events e on e.place_id = d.place_id and e.id = d.event_id
        where d.place_id = p.id and d.id = any(${dateIds}::uuid[])), '[]'::json) as dates,
      coalesce((select json_agg(json_build_object('id', q.id, 'event_id', q.event_id, 'label', q.label, 'kind', q.kind, 'choices', q.choices, 'required', q.required,
           'per_ticket', q.per_ticket, 'position', q.position) order by q.position, q.created_at)
         from ticket_questions q
        where q.place_id = p.id and q.event_id in (select d.event_id from event_dates d where d.place_id = p.id and d.id = any(${dateIds}::uuid[]))), '[]'::json) as questions,
      coalesce((select json_agg(json_build_object('id', c.event_date_id, 'capacity', c.capacity, 'taken', c.taken, 'held_unconfirmed', c.held_unconfirmed))
         from date_capacity c where c.place_id = p.id and c.event_date_id = any(${dateIds}::uuid[])), '[]'::json) as capacity,
      exists (select 1 from orders o
               where o.status = 'pending' and o.expires_at <= now() and o.place_id = p.id
                 and exists (select 1 from order_lines l where l.place_id = o.place_id and l.order_id = o.id and l.event_date_id = any(${dateIds}::uuid[]))) as expired_holds,
      exists (select 1 from orders o
               where o.unconfirmed_hold and o.status <> 'pending' and o.place_id = p.id
                 and exists (select 1 from order_lines l where l.place_id = o.place_id and l.order_id = o.id and l.event_date_id = any(${dateIds}::uuid[]))) as unconfirmed_to_settle,
      coalesce((select json_agg(json_build_object('id', c.id, 'event_id', c.event_id, 'price_id', c.price_id, 'percent_off', c.percent_off,
           'amount_off_cents', c.amount_off_cents, 'max_uses', c.max_uses, 'used', c.used) order by c.id)
         from promo_codes c where ${promoCode} <> '' and c.place_id = p.id and c.code = ${promoCode}), '[]'::json) as promos
    from places p where p.slug = ${slug}`.execute(db);
  const r = rows[0];
  if (!r) return null;
  const at = (s: string | null) => (s === null ? null : new Date(s));
  return {
    place: { id: r.id, timezone: r.timezone, name: r.name },
    prices: r.prices.map(
      (p): PriceRow => ({ ...p, sales_open_at: at(p.sales_open_at), sales_close_at: at(p.sales_close_at) }),
    ),
    dates: r.dates.map((d) => ({ ...d, starts_at: new Date(d.starts_at) })),
    questions: r.questions.map(
      (q): Question => ({
        id: q.id,
        eventId: q.event_id,
        label: q.label,
        kind: q.kind,
        choices: q.choices,
        required: q.required,
        perTicket: q.per_ticket,
        position: q.position,
      }),
    ),
    capacity: r.capacity,
    expiredHolds: r.expired_holds,
    unconfirmedToSettle: r.unconfirmed_to_settle,
    promos: r.promos,
  };
}

/** Places of some prices a buyer already holds or bought (pending orders still held, paid orders), per price. */
export async function heldBy(
  trx: Trx,
  placeId: string,
  priceIds: string[],
  personId: string | null,
  email: string,
): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'l.place_id').onRef('o.id', '=', 'l.order_id'))
    .select((eb) => ['l.price_id', eb.fn.coalesce(eb.fn.sum<number>('l.quantity'), sql<number>`0`).as('n')])
    .where('l.place_id', '=', placeId)
    .where('l.price_id', 'in', priceIds)
    // A hold that ran out counts no more, released or not yet (the housekeeping releases it soon).
    .where((eb) =>
      eb.or([
        eb('o.status', '=', 'paid'),
        eb.and([eb('o.status', '=', 'pending'), eb('o.expires_at', '>', sql<Date>`now()`)]),
      ]),
    )
    .where((eb) =>
      personId ? eb.or([eb('o.person_id', '=', personId), eb('o.email', '=', email)]) : eb('o.email', '=', email),
    )
    .groupBy('l.price_id')
    .execute();
  return new Map(rows.map((r) => [r.price_id, Number(r.n)]));
}
