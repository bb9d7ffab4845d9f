import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { csvLine } from '../shared/csv.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { datesOfEvent, eventOfPlace } from '../agenda/index.ts';
import { paymentsByIds } from '../payments/index.ts';
import { offersOf } from './offers.ts';
import { answersOf, questionsOf } from './questions.ts';
import type { TicketStatus } from './tables.ts';

export interface Attendee {
  ticketId: string;
  holderName: string;
  email: string;
  orderId: string;
  reference: string;
  priceName: string;
  startsAt: Date;
  timezone: string;
  status: TicketStatus;
  /** Answers by question id: the order's, and this ticket's own for per-ticket questions. */
  answers: Map<string, { kind: string; value: string }>;
}

export interface AttendeeList {
  /** One column per question: today's questions in order, then removed ones that have answers (label as answered). */
  columns: { questionId: string; label: string }[];
  attendees: Attendee[];
}

/**
 * An event's attendees (one per ticket) with the answers given at checkout. Per-ticket answers name
 * the order line and the seat's rank in it; a line's tickets are ranked by id (issued in order).
 */
export async function attendeeList(
  db: Db,
  actor: Actor,
  input: { slug: string; eventId: string },
): Promise<AttendeeList> {
  const { place, event } = await eventOf(db, actor, input.slug, input.eventId);
  const [found, dates] = await Promise.all([
    db
      .selectFrom('tickets as tk')
      .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'tk.place_id').onRef('o.id', '=', 'tk.order_id'))
      .innerJoin('ticket_prices as p', (j) =>
        j.onRef('p.place_id', '=', 'tk.place_id').onRef('p.id', '=', 'tk.price_id'),
      )
      .select([
        'tk.id',
        'tk.line_id',
        'tk.holder_name',
        'tk.event_date_id',
        'o.id as order_id',
        'o.email',
        'o.reference',
        'p.name as price',
        'tk.status',
      ])
      .where('tk.place_id', '=', place.id)
      .where('tk.event_id', '=', event.id)
      .orderBy('o.reference')
      .orderBy('tk.id')
      .execute(),
    datesOfEvent(db, place.id, event.id),
  ]);
  // By date, then (the query's order, kept by the stable sort) by order reference and ticket.
  const dateOf = new Map(dates.map((d, i) => [d.id, { ...d, rank: i }]));
  const tickets = found
    .flatMap((x) => {
      const d = dateOf.get(x.event_date_id);
      return d ? [{ ...x, starts_at: d.startsAt, timezone: d.timezone, rank: d.rank }] : [];
    })
    .sort((a, b) => a.rank - b.rank);
  const [questions, answers] = await Promise.all([
    questionsOf(db, place.id, [event.id]),
    answersOf(db, place.id, [...new Set(tickets.map((x) => x.order_id))]),
  ]);
  const mine = answers.filter((a) => a.event_id === event.id);
  const columns = questions.map((q) => ({ questionId: q.id, label: q.label }));
  for (const a of mine)
    if (!columns.some((c) => c.questionId === a.question_id))
      columns.push({ questionId: a.question_id, label: a.label });
  const rankInLine = new Map<string, number>();
  const attendees = tickets.map((x) => {
    const rank = rankInLine.get(x.line_id) ?? 0;
    rankInLine.set(x.line_id, rank + 1);
    const own = new Map<string, { kind: string; value: string }>();
    for (const a of mine) {
      if (a.order_id !== x.order_id) continue;
      if (a.line_id === null || (a.line_id === x.line_id && a.line_rank === rank))
        own.set(a.question_id, { kind: a.kind, value: a.value });
    }
    return {
      ticketId: x.id,
      holderName: x.holder_name,
      email: x.email,
      orderId: x.order_id,
      reference: x.reference,
      priceName: x.price,
      startsAt: x.starts_at,
      timezone: x.timezone,
      status: x.status,
      answers: own,
    };
  });
  return { columns, attendees };
}

export interface ReportRow {
  dateId: string;
  startsAt: Date;
  timezone: string;
  priceId: string;
  priceName: string;
  sold: number;
  checkedIn: number;
  remaining: number | null;
  revenueCents: number;
}

export interface SalesReport {
  rows: ReportRow[];
  /** Paid orders' revenue per payment method (stripe, on_site methods, free). */
  byMethod: { method: string; orders: number; revenueCents: number }[];
}

async function eventOf(db: Db, actor: Actor, slug: string, eventId: string) {
  if (!isUuid(eventId)) throw notFound('event');
  const place = await getPlaceBySlug(db, slug);
  await authorize(db, actor, place.id, 'events.write');
  const event = await eventOfPlace(db, place.id, eventId);
  if (!event) throw notFound('event');
  return { place, event };
}

/**
 * What an event sold, date by date and price by price: valid tickets, tickets checked in on any
 * list, seats left, revenue after discounts; and revenue per payment method. For the venue team.
 */
export async function salesReport(
  db: Db,
  actor: Actor,
  input: { slug: string; eventId: string },
): Promise<SalesReport> {
  const { place, event } = await eventOf(db, actor, input.slug, input.eventId);
  const [sold, entered, revenue, byMethod, offers, dates] = await Promise.all([
    db
      .selectFrom('tickets')
      .select(['event_date_id', 'price_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('place_id', '=', place.id)
      .where('event_id', '=', event.id)
      .where('status', '=', 'valid')
      .groupBy(['event_date_id', 'price_id'])
      .execute(),
    db
      .selectFrom('checkins as c')
      .innerJoin('tickets as tk', (j) => j.onRef('tk.place_id', '=', 'c.place_id').onRef('tk.id', '=', 'c.ticket_id'))
      .select(['tk.event_date_id', 'tk.price_id', sql<number>`count(distinct tk.id)`.as('n')])
      .where('c.place_id', '=', place.id)
      .where('tk.event_id', '=', event.id)
      .where('c.result', '=', 'valid')
      .groupBy(['tk.event_date_id', 'tk.price_id'])
      .execute(),
    db
      .selectFrom('order_lines as l')
      .innerJoin('orders as o', (j) => j.onRef('o.place_id', '=', 'l.place_id').onRef('o.id', '=', 'l.order_id'))
      .select([
        'l.event_date_id',
        'l.price_id',
        sql<number>`sum(l.unit_price_cents * l.quantity - l.discount_cents)`.as('cents'),
      ])
      .where('l.place_id', '=', place.id)
      .where('l.event_id', '=', event.id)
      .where('o.status', '=', 'paid')
      .groupBy(['l.event_date_id', 'l.price_id'])
      .execute(),
    db
      .selectFrom('orders as o')
      .select(['o.payment_id', 'o.total_cents'])
      .where('o.place_id', '=', place.id)
      .where('o.status', '=', 'paid')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('order_lines as l')
            .select('l.id')
            .whereRef('l.place_id', '=', 'o.place_id')
            .whereRef('l.order_id', '=', 'o.id')
            .where('l.event_id', '=', event.id),
        ),
      )
      .execute()
      .then((paid) => revenueByMethod(db, paid)),
    offersOf(db, place.id, event.id, new Date(0)),
    datesOfEvent(db, place.id, event.id),
  ]);
  const prices = await db
    .selectFrom('ticket_prices')
    .select(['id', 'name', 'event_date_id'])
    .where('place_id', '=', place.id)
    .where('event_id', '=', event.id)
    .orderBy('position')
    .orderBy('created_at')
    .execute();
  const n = (list: { event_date_id: string; price_id: string; n?: number }[], d: string, p: string) =>
    Number(list.find((x) => x.event_date_id === d && x.price_id === p)?.n ?? 0);
  const rows: ReportRow[] = [];
  for (const d of dates) {
    for (const p of prices.filter((x) => x.event_date_id === null || x.event_date_id === d.id)) {
      const left = offers.find((o) => o.dateId === d.id)?.prices.find((x) => x.id === p.id)?.remaining ?? null;
      rows.push({
        dateId: d.id,
        startsAt: d.startsAt,
        timezone: d.timezone,
        priceId: p.id,
        priceName: p.name,
        sold: n(sold, d.id, p.id),
        checkedIn: n(entered, d.id, p.id),
        remaining: left,
        revenueCents: Number(revenue.find((x) => x.event_date_id === d.id && x.price_id === p.id)?.cents ?? 0),
      });
    }
  }
  return {
    rows,
    byMethod,
  };
}

/**
 * Paid orders' revenue per payment method: the payment's method (or provider), "free" for an order of
 * nothing, "other" for one paid without a payment row.
 */
async function revenueByMethod(
  db: Db,
  paid: { payment_id: string | null; total_cents: number }[],
): Promise<SalesReport['byMethod']> {
  const payments = await paymentsByIds(
    db,
    paid.flatMap((o) => (o.payment_id ? [o.payment_id] : [])),
  );
  const byMethod = new Map<string, { method: string; orders: number; revenueCents: number }>();
  for (const o of paid) {
    const p = o.payment_id ? payments.get(o.payment_id) : undefined;
    const method = p?.method ?? p?.provider ?? (o.total_cents === 0 ? 'free' : 'other');
    const m = byMethod.get(method) ?? { method, orders: 0, revenueCents: 0 };
    m.orders += 1;
    m.revenueCents += o.total_cents;
    byMethod.set(method, m);
  }
  return [...byMethod.values()];
}

/** CSV of an event's orders (one line per order) or attendees (one line per valid ticket). */
export async function exportEventCsv(
  db: Db,
  actor: Actor,
  input: { slug: string; eventId: string; kind: 'orders' | 'attendees' },
): Promise<string> {
  const { place, event } = await eventOf(db, actor, input.slug, input.eventId);
  if (input.kind === 'orders') {
    const orders = await db
      .selectFrom('orders as o')
      .select(['o.reference', 'o.email', 'o.name', 'o.status', 'o.total_cents', 'o.created_at', 'o.paid_at'])
      .where('o.place_id', '=', place.id)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('order_lines as l')
            .select('l.id')
            .whereRef('l.place_id', '=', 'o.place_id')
            .whereRef('l.order_id', '=', 'o.id')
            .where('l.event_id', '=', event.id),
        ),
      )
      .orderBy('o.created_at')
      .execute();
    return (
      csvLine(['reference', 'email', 'name', 'status', 'total', 'created_at', 'paid_at']) +
      orders
        .map((o) =>
          csvLine([
            o.reference,
            o.email,
            o.name,
            o.status,
            (o.total_cents / 100).toFixed(2),
            o.created_at.toISOString(),
            o.paid_at?.toISOString() ?? '',
          ]),
        )
        .join('')
    );
  }
  // Answers follow the fixed columns, one per question (checkboxes as yes / no).
  const { columns, attendees } = await attendeeList(db, actor, input);
  return (
    csvLine(['ticket', 'holder', 'email', 'order', 'price', 'date', 'status', ...columns.map((c) => c.label)]) +
    attendees
      .map((x) =>
        csvLine([
          x.ticketId,
          x.holderName,
          x.email,
          x.reference,
          x.priceName,
          x.startsAt.toISOString(),
          x.status,
          ...columns.map((c) => x.answers.get(c.questionId)?.value ?? ''),
        ]),
      )
      .join('')
  );
}
