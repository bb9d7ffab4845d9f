import { sql, type RawBuilder } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { seatsMoved } from './seatsMoved.ts';

/** What an order holds: seats per date, per price, and the promo code it used. */
export interface Holding {
  placeId: string;
  perDate: Map<string, number>;
  perPrice: Map<string, number>;
  promoCodeId: string | null;
  /**
   * Its seats count as unconfirmed anonymous seats (date_capacity.held_unconfirmed, docs/TICKETING.md
   * invariant 21): taken at most up to `percent` of each date's capacity; given back with the seats.
   */
  unconfirmed?: { percent: number } | null;
  /**
   * The revision of each price as the order read it (invariant 22): taking checks, on the locked rows,
   * that every price still exists, is still on sale and has that revision — else 'changed'.
   */
  priceRevisions?: Map<string, number> | null;
}

/** Which counter refused, when a holding could not be taken. */
export type Shortage = 'date' | 'unconfirmed' | 'price' | 'promo' | 'changed';

/** The most seats of a date that unconfirmed anonymous orders may hold: ceil(capacity × percent / 100). */
const unconfirmedCap = (capacity: RawBuilder<unknown>, percent: number) =>
  sql`((${capacity}::bigint * ${percent}::int + 99) / 100)`;

/**
 * Writes made in the statement that takes the counters, only when every counter was taken: `ctes`
 * are further `name as (…)` clauses (joined with commas) that must test `(select ok from taking)`,
 * `columns` further output columns (`, (select … ) as x`).
 */
export interface TakenWith {
  ctes: RawBuilder<unknown>;
  columns: RawBuilder<unknown>;
}

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Takes seats — every date's capacity, every price's stock and the promo code's use — in ONE
 * statement that locks the rows, checks and writes, all or nothing (docs/TICKETING.md, invariants 1
 * and 2):
 * - the rows are locked first (`select … for no key update`, the lock an UPDATE takes), in the fixed
 *   order dates, then prices, each sorted by id, then the promo code — the order of releaseSeats —
 *   so concurrent orders never deadlock; each step runs only if the previous ones had enough (an
 *   uncorrelated subquery gates it, evaluated before its rows are read or locked);
 * - the check (`taken + n <= capacity`, `stock`, `used < max_uses`) is made on the rows as locked:
 *   so is, for the prices, that each still exists, is on sale and has the revision the order read
 *   (`h.priceRevisions`, invariant 22: an edit committed meanwhile makes it 'changed');
 *   in READ COMMITTED a row lock returns the latest committed version; so is, for an order without
 *   an account (`h.unconfirmed`), `held_unconfirmed + n <= ceil(capacity × percent / 100)` (invariant
 *   21), which then moves with `taken`;
 * - the counters are then moved on those rows, found by key only, to the values checked: the
 *   statement returns how many moved from exactly the locked value by exactly n, and anything else
 *   is an error. (An UPDATE evaluates its WHERE and the table's CHECK constraints first on the row of
 *   its snapshot, older than the lock, before it moves to the latest version: `taken + n <= capacity`
 *   in the WHERE would skip a row full in the snapshot and freed by a commit during the wait, and the
 *   CHECK would fail on it. So the new value is capped — `least(taken + n, capacity)` — which never
 *   caps on the locked row, where the check passed.) The tables' CHECK constraints (`taken <=
 *   capacity`, `taken <= stock`, `used <= max_uses`) stand behind it all: an oversold counter is an
 *   error, never a row.
 * `withWrites` (the order itself, see insertHold) is written by the same statement, only when every
 * counter sufficed. A date without a capacity row is unlimited. Returns `short: null` when taken,
 * else the first counter that was short — and then nothing was written (the rows read stay locked
 * until the transaction ends).
 *
 * Run outside a transaction, the statement is its own transaction: the hot capacity row is locked
 * only while the database executes it and commits, never across a round trip to this process.
 */
export async function takeSeats<R extends object = object>(
  db: Db | Trx,
  h: Holding,
  withWrites?: TakenWith,
): Promise<{ short: Shortage | null; row: R }> {
  const dates = sorted(h.perDate);
  const prices = sorted(h.perPrice);
  const dateIds = dates.map(([id]) => id);
  const priceIds = prices.map(([id]) => id);
  const promo = h.promoCodeId;
  const percent = h.unconfirmed?.percent ?? 100;
  const unconfirmedOf = dates.map(([, n]) => (h.unconfirmed ? n : 0));
  const cap = (c: string) => unconfirmedCap(sql.ref(c), percent);
  // -1: not checked (a caller that did not read the price, e.g. a release's retry).
  const revisions = prices.map(([id]) => h.priceRevisions?.get(id) ?? -1);
  // FOR NO KEY UPDATE does not block the foreign-key checks (key share) of order lines. `guard`: every
  // locked row must have moved from its locked value by exactly what was asked; if not, its cast fails
  // and the whole statement with it (nothing of it stays, even outside a transaction).
  const { rows } = await sql<
    {
      dates_ok: boolean;
      unconfirmed_ok: boolean;
      prices_current: boolean;
      prices_ok: boolean;
      ok: boolean;
      dates_capped: number;
      dates_taken: number;
      prices_taken: number;
      promo_taken: number;
    } & R
  >`
    with want_d (id, n, u) as (select * from unnest(${dateIds}::uuid[], ${dates.map(([, n]) => n)}::int[], ${unconfirmedOf}::int[])),
    want_p (id, n, r) as (select * from unnest(${priceIds}::uuid[], ${prices.map(([, n]) => n)}::int[], ${revisions}::int[])),
    ld as (
      select c.event_date_id as id, c.taken, c.capacity, c.held_unconfirmed from date_capacity c
       where c.place_id = ${h.placeId} and c.event_date_id = any(${dateIds}::uuid[])
       order by c.event_date_id for no key update),
    dates_ok as (select coalesce(bool_and(ld.taken + w.n <= ld.capacity), true) as ok from ld join want_d w on w.id = ld.id),
    unconfirmed_ok as (
      select (select ok from dates_ok) and coalesce(bool_and(w.u = 0 or ld.held_unconfirmed + w.u <= ${cap('ld.capacity')}), true) as ok
        from ld join want_d w on w.id = ld.id),
    lp as (
      select t.id, t.taken, t.stock, t.revision, t.active from ticket_prices t
       where (select ok from unconfirmed_ok) and t.place_id = ${h.placeId} and t.id = any(${priceIds}::uuid[])
       order by t.id for no key update),
    prices_current as (
      select (select ok from unconfirmed_ok) and count(*) = ${priceIds.length} and coalesce(bool_and(w.r < 0 or (lp.revision = w.r and lp.active)), true) as ok
        from lp join want_p w on w.id = lp.id),
    prices_ok as (
      select (select ok from prices_current) and coalesce(bool_and(lp.stock is null or lp.taken + w.n <= lp.stock), true) as ok
        from lp join want_p w on w.id = lp.id),
    lc as (
      select pc.used, pc.max_uses from promo_codes pc
       where (select ok from prices_ok) and pc.place_id = ${h.placeId} and pc.id = ${promo}::uuid for no key update),
    taking as (
      select (select ok from prices_ok) and (${promo}::uuid is null or exists (select 1 from lc where lc.max_uses is null or lc.used < lc.max_uses)) as ok),
    ud as (
      update date_capacity c set taken = least(c.taken + w.n, c.capacity),
             held_unconfirmed = case when w.u = 0 then c.held_unconfirmed else least(c.held_unconfirmed + w.u, ${cap('c.capacity')}) end
        from want_d w
       where (select ok from taking) and c.place_id = ${h.placeId} and c.event_date_id = w.id
      returning c.event_date_id as id, c.taken, c.held_unconfirmed),
    up as (
      update ticket_prices t set taken = case when t.stock is null then t.taken + w.n else least(t.taken + w.n, t.stock) end from want_p w
       where (select ok from taking) and t.place_id = ${h.placeId} and t.id = w.id
      returning t.id, t.taken),
    uc as (
      update promo_codes set used = case when max_uses is null then used + 1 else least(used + 1, max_uses) end
       where (select ok from taking) and place_id = ${h.placeId} and id = ${promo}::uuid
      returning used)
    ${withWrites ? sql`, ${withWrites.ctes}` : sql``},
    result as (
      select (select ok from dates_ok) as dates_ok, (select ok from unconfirmed_ok) as unconfirmed_ok,
        (select ok from prices_current) as prices_current, (select ok from prices_ok) as prices_ok,
        (select ok from taking) as ok,
        (select count(*) from ld)::int as dates_capped,
        (select count(*) from ud join ld on ld.id = ud.id join want_d w on w.id = ud.id
          where ud.taken = ld.taken + w.n and ud.held_unconfirmed = ld.held_unconfirmed + w.u)::int as dates_taken,
        (select count(*) from up join lp on lp.id = up.id join want_p w on w.id = up.id where up.taken = lp.taken + w.n)::int as prices_taken,
        (select count(*) from uc, lc where uc.used = lc.used + 1)::int as promo_taken)
    select r.*,
      case when r.ok and not (r.dates_taken = r.dates_capped and r.prices_taken = ${priceIds.length} and r.promo_taken = ${promo ? 1 : 0})
           then ('counters moved wrongly: ' || r.dates_taken || '/' || r.dates_capped || ' ' || r.prices_taken || ' ' || r.promo_taken)::int end as guard
      ${withWrites ? withWrites.columns : sql``}
    from result r`.execute(db);
  const r = rows[0]!;
  if (!r.ok)
    return {
      short: !r.dates_ok
        ? 'date'
        : !r.unconfirmed_ok
          ? 'unconfirmed'
          : !r.prices_current
            ? 'changed'
            : !r.prices_ok
              ? 'price'
              : 'promo',
      row: r,
    };
  // Only dates with a capacity row moved (an unlimited date has nothing to tell).
  if (r.dates_capped > 0) seatsMoved(h.placeId, dateIds);
  return { short: null, row: r };
}

/**
 * Gives back what some orders held (they expired, were cancelled or refunded), summed counter by
 * counter, in the lock order of takeSeats (docs/TICKETING.md, "Lock order"): the dates' capacity rows
 * sorted by id, then the prices' rows sorted by id, then the promo codes sorted by id — one statement
 * per table, which locks its rows in that order (an uncorrelated subquery, evaluated before the
 * update reads a row) before it moves them. Releasing order after order would lock a higher date
 * before a lower one, or a date after a price, and deadlock with a concurrent takeSeats.
 */
export async function releaseSeats(trx: Trx, ...holdings: Holding[]): Promise<void> {
  const dates = new Map<string, { placeId: string; n: number }>();
  const prices = new Map<string, { placeId: string; n: number }>();
  const promos = new Map<string, { placeId: string; n: number }>();
  // Places of unconfirmed anonymous orders, per date: they leave held_unconfirmed with taken.
  const unconfirmed = new Map<string, { placeId: string; n: number }>();
  const add = (to: typeof dates, id: string, placeId: string, n: number) =>
    to.set(id, { placeId, n: (to.get(id)?.n ?? 0) + n });
  for (const h of holdings) {
    for (const [id, n] of h.perDate) add(dates, id, h.placeId, n);
    for (const [id, n] of h.perPrice) add(prices, id, h.placeId, n);
    if (h.promoCodeId) add(promos, h.promoCodeId, h.placeId, 1);
    if (h.unconfirmed) for (const [id, n] of h.perDate) add(unconfirmed, id, h.placeId, n);
  }
  const want = (m: typeof dates) => {
    const rows = [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return sql`select * from unnest(${rows.map(([, r]) => r.placeId)}::uuid[], ${rows.map(([id]) => id)}::uuid[], ${rows.map(([, r]) => r.n)}::int[])`;
  };
  if (dates.size > 0) {
    const ids = [...dates.keys()].sort();
    await sql`
      with want (place_id, id, n, u) as (
        select * from unnest(${ids.map((id) => dates.get(id)!.placeId)}::uuid[], ${ids}::uuid[],
                             ${ids.map((id) => dates.get(id)!.n)}::int[], ${ids.map((id) => unconfirmed.get(id)?.n ?? 0)}::int[])),
      locked as (
        select c.event_date_id from date_capacity c join want w on w.place_id = c.place_id and w.id = c.event_date_id
         order by c.event_date_id for no key update of c)
      update date_capacity c set taken = greatest(c.taken - w.n, 0),
             held_unconfirmed = least(greatest(c.held_unconfirmed - w.u, 0), greatest(c.taken - w.n, 0))
        from want w
       where (select count(*) from locked) >= 0 and c.place_id = w.place_id and c.event_date_id = w.id`.execute(trx);
    for (const placeId of new Set([...dates.values()].map((d) => d.placeId)))
      seatsMoved(
        placeId,
        ids.filter((id) => dates.get(id)!.placeId === placeId),
      );
  }
  if (prices.size > 0)
    await sql`
      with want (place_id, id, n) as (${want(prices)}),
      locked as (
        select t.id from ticket_prices t join want w on w.place_id = t.place_id and w.id = t.id
         order by t.id for no key update of t)
      update ticket_prices t set taken = greatest(t.taken - w.n, 0) from want w
       where (select count(*) from locked) >= 0 and t.place_id = w.place_id and t.id = w.id`.execute(trx);
  if (promos.size > 0)
    await sql`
      with want (place_id, id, n) as (${want(promos)}),
      locked as (
        select pc.id from promo_codes pc join want w on w.place_id = pc.place_id and w.id = pc.id
         order by pc.id for no key update of pc)
      update promo_codes pc set used = greatest(pc.used - w.n, 0) from want w
       where (select count(*) from locked) >= 0 and pc.place_id = w.place_id and pc.id = w.id`.execute(trx);
}

/** What some existing orders hold, from their lines: one read for all of them. */
export async function holdingsOf(
  trx: Trx,
  orders: { place_id: string; id: string; promo_code_id: string | null; unconfirmed_hold: boolean }[],
): Promise<Holding[]> {
  if (orders.length === 0) return [];
  const lines = await trx
    .selectFrom('order_lines')
    .select(['place_id', 'order_id', 'event_date_id', 'price_id', 'quantity'])
    .where('place_id', 'in', [...new Set(orders.map((o) => o.place_id))])
    .where(
      'order_id',
      'in',
      orders.map((o) => o.id),
    )
    .execute();
  return orders.map((o) => {
    const h: Holding = {
      placeId: o.place_id,
      perDate: new Map(),
      perPrice: new Map(),
      promoCodeId: o.promo_code_id,
      // The share only matters when taking; given back, all the order's seats leave it.
      unconfirmed: o.unconfirmed_hold ? { percent: 100 } : null,
    };
    for (const l of lines) {
      if (l.order_id !== o.id || l.place_id !== o.place_id) continue;
      h.perDate.set(l.event_date_id, (h.perDate.get(l.event_date_id) ?? 0) + l.quantity);
      h.perPrice.set(l.price_id, (h.perPrice.get(l.price_id) ?? 0) + l.quantity);
    }
    return h;
  });
}

/** What an existing order holds, from its lines. */
export async function holdingOf(
  trx: Trx,
  order: { place_id: string; id: string; promo_code_id: string | null; unconfirmed_hold: boolean },
): Promise<Holding> {
  return (await holdingsOf(trx, [order]))[0]!;
}
