import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { html, type Html } from '../http/html.ts';
import type { OrderStatus } from './tables.ts';
import { localeOf } from '../i18n/i18n.ts';

/** Rows shown at most: the latest dates first. */
const LIMIT = 100;

export interface MyTicketRow {
  orderId: string;
  reference: string;
  status: OrderStatus;
  title: string;
  startsAt: Date;
  timezone: string;
  tickets: number;
}

/**
 * The orders a person paid (or that were paid and later cancelled or refunded), one row per order and
 * event date: those placed while logged in, and those placed without an account with their address.
 */
export async function ticketsOfPerson(db: Db, person: { id: string; email: string }): Promise<MyTicketRow[]> {
  const rows = await db
    .selectFrom('orders as o')
    .innerJoin('order_lines as l', (j) => j.onRef('l.place_id', '=', 'o.place_id').onRef('l.order_id', '=', 'o.id'))
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'l.place_id').onRef('e.id', '=', 'l.event_id'))
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'l.place_id').onRef('d.id', '=', 'l.event_date_id'),
    )
    .select((eb) => [
      'o.id',
      'o.reference',
      'o.status',
      'e.title',
      'd.starts_at',
      'd.timezone',
      eb.fn.sum<number>('l.quantity').as('tickets'),
    ])
    .where('o.paid_at', 'is not', null)
    .where((eb) => eb.or([eb('o.person_id', '=', person.id), eb(sql`lower(o.email)`, '=', person.email.toLowerCase())]))
    .groupBy(['o.id', 'o.reference', 'o.status', 'e.title', 'd.id', 'd.starts_at', 'd.timezone'])
    .orderBy('d.starts_at', 'desc')
    .orderBy('o.id')
    .limit(LIMIT)
    .execute();
  return rows.map((r) => ({
    orderId: r.id,
    reference: r.reference,
    status: r.status,
    title: r.title,
    startsAt: r.starts_at,
    timezone: r.timezone,
    tickets: Number(r.tickets),
  }));
}

/** "Mes billets" on the account page. */
export async function renderMyTickets(
  request: FastifyRequest,
  db: Db,
  person: { id: string; email: string },
): Promise<Html> {
  const { t, lang } = request.ctx;
  const mine = await ticketsOfPerson(db, person);
  return html`<h2 id="tickets">${t('tickets.mine.title')}</h2>
${
  mine.length === 0
    ? html`<p>${t('tickets.mine.none')}</p>`
    : html`<table class="my-tickets"><thead><tr><th scope="col">${t('tickets.mine.event')}</th><th scope="col">${t('tickets.mine.date')}</th><th scope="col">${t('tickets.mine.status')}</th><th scope="col">${t('tickets.mine.order')}</th></tr></thead>
<tbody>${mine.map(
        (
          r,
        ) => html`<tr><td>${r.title}</td><td>${r.startsAt.toLocaleString(localeOf(lang), { timeZone: r.timezone, dateStyle: 'medium', timeStyle: 'short' })}</td>
<td>${t(`orders.status.${r.status}`)}</td><td><a href="/orders/${r.orderId}">${r.reference}</a>${r.status === 'paid' ? html` · <a href="/orders/${r.orderId}/tickets.pdf">${t('tickets.mine.download')}</a>` : ''}</td></tr>`,
      )}</tbody></table>`
}`;
}
