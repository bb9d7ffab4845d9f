import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/app.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { csrfField, emptyForm, errorSummary, input, select, type FormState } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { formatEuros } from '../shared/money.ts';
import { adminNav } from '../places/adminNav.ts';
import { getPlaceBySlug, type Place } from '../places/places.ts';
import { cancelEventOrders } from './cancelEventOrders.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { exportEventCsv, salesReport } from './salesReport.ts';
import { setCancellationPolicy } from './setCancellationPolicy.ts';
import { parseLocalDateTime, zonedToInstant } from '../agenda/zonedTime.ts';

const KINDS = ['fixed', 'free', 'pay_what_you_want', 'member_only'] as const;

/** The ticketing page of an event for its venue team: prices, sales report, exports, cancellations. */
export async function ticketAdminRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, stripe } = deps;

  async function context(request: FastifyRequest, reply: FastifyReply): Promise<{ place: Place; event: { id: string; title: string; slug: string } } | null> {
    if (!personOrLogin(request, reply)) return null;
    const { slug, id } = request.params as { slug: string; id: string };
    if (!isUuid(id)) throw notFound('event');
    const place = await getPlaceBySlug(db, slug);
    await authorize(db, actorOf(request), place.id, 'events.write');
    const event = await db.selectFrom('events').select(['id', 'title', 'slug']).where('place_id', '=', place.id).where('id', '=', id).executeTakeFirst();
    if (!event) throw notFound('event');
    return { place, event };
  }

  async function ticketsPage(request: FastifyRequest, reply: FastifyReply, place: Place, event: { id: string; title: string; slug: string }, state: { price?: FormState; notice?: string } = {}, status = 200) {
    const { t, lang } = request.ctx;
    const report = await salesReport(db, actorOf(request), { slug: place.slug, eventId: event.id });
    const policy = await db.selectFrom('cancellation_policies').select('holder_deadline_hours').where('place_id', '=', place.id).where('event_id', '=', event.id).executeTakeFirst();
    const form = state.price ?? emptyForm({ kind: 'fixed', perOrderLimit: '10', vatRate: '5,5' });
    const base = `/venues/${place.slug}/admin/events/${event.id}/tickets`;
    const fmtDate = (d: Date, tz: string) => new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: tz }).format(d);
    const body = html`<section>
${adminNav(request, place, 'events')}
<p class="breadcrumb"><a href="/venues/${place.slug}/admin/events/${event.id}">${event.title}</a> · <a href="/events/${event.slug}">${t('ticketAdmin.publicPage')}</a></p>
<h2>${t('ticketAdmin.title')}</h2>
${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ''}
${report.rows.length === 0
  ? html`<p>${t('ticketAdmin.noPrices')}</p>`
  : html`<div class="table-scroll"><table class="list"><caption>${t('ticketAdmin.report')}</caption>
<thead><tr><th scope="col">${t('labels.eventDateId')}</th><th scope="col">${t('ticketAdmin.price')}</th><th scope="col">${t('ticketAdmin.sold')}</th><th scope="col">${t('ticketAdmin.checkedIn')}</th><th scope="col">${t('ticketAdmin.remaining')}</th><th scope="col">${t('ticketAdmin.revenue')}</th></tr></thead>
<tbody>${report.rows.map((r) => html`<tr><td>${fmtDate(r.startsAt, r.timezone)}</td><td>${r.priceName}</td><td>${r.sold}</td><td>${r.checkedIn}</td><td>${r.remaining ?? '∞'}</td><td>${formatEuros(r.revenueCents, lang)}</td></tr>`)}</tbody>
</table></div>
${report.byMethod.length ? html`<p>${t('ticketAdmin.byMethod')} ${report.byMethod.map((m, i) => html`${i ? ' · ' : ''}${t(`ticketAdmin.method.${m.method}`)} : ${formatEuros(m.revenueCents, lang)} (${m.orders})`)}</p>` : ''}
<p><a class="button" href="${base}/orders.csv">${t('ticketAdmin.exportOrders')}</a> <a class="button" href="${base}/attendees.csv">${t('ticketAdmin.exportAttendees')}</a></p>`}
<h2>${t('ticketAdmin.newPrice')}</h2>
${errorSummary(request, form)}
<form method="post" action="${base}/prices" novalidate>${csrfField(request)}
${input(request, form, 'name', { required: true })}
<div class="row">${select(request, form, 'kind', KINDS.map((k) => ({ value: k, label: t(`ticketAdmin.kind.${k}`) })))}
${input(request, form, 'price', { attrs: html` inputmode="decimal"` })}${input(request, form, 'minPrice', { attrs: html` inputmode="decimal"` })}</div>
<div class="row">${input(request, form, 'stock', { attrs: html` inputmode="numeric"` })}${input(request, form, 'perOrderLimit', { attrs: html` inputmode="numeric"` })}${input(request, form, 'perPersonLimit', { attrs: html` inputmode="numeric"` })}</div>
<div class="row">${input(request, form, 'salesOpenAt', { type: 'datetime-local' })}${input(request, form, 'salesCloseAt', { type: 'datetime-local' })}${input(request, form, 'vatRate', { attrs: html` inputmode="decimal"` })}</div>
<button type="submit">${t('ticketAdmin.createPrice')}</button></form>
<h2>${t('ticketAdmin.cancellation')}</h2>
<form method="post" action="${base}/policy" class="inline-form">${csrfField(request)}
<label for="hours">${t('ticketAdmin.deadlineHours')}</label> <input id="hours" name="hours" inputmode="numeric" size="5" value="${policy ? String(policy.holder_deadline_hours) : ''}"> <button type="submit">${t('forms.save')}</button></form>
<p class="hint">${t('ticketAdmin.deadlineHint')}</p>
<form method="post" action="${base}/cancel-all">${csrfField(request)}
<label class="check"><input type="checkbox" name="confirm" value="yes" required> ${t('ticketAdmin.cancelAllConfirm')}</label>
<button type="submit" class="danger">${t('ticketAdmin.cancelAll')}</button></form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: `${t('ticketAdmin.title')} — ${event.title}`, body }), status);
  }

  app.get('/venues/:slug/admin/events/:id/tickets', async (request, reply) => {
    const c = await context(request, reply);
    return c ? ticketsPage(request, reply, c.place, c.event) : reply;
  });

  app.post('/venues/:slug/admin/events/:id/tickets/prices', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    // datetime-local has no zone: read it in the venue's zone.
    const local = (v: unknown) => {
      if (typeof v !== 'string' || !v) return undefined;
      const parts = parseLocalDateTime(v);
      return parts ? zonedToInstant(parts, c.place.timezone) : v;
    };
    try {
      await createTicketPrice(db, actorOf(request), {
        slug: c.place.slug, eventId: c.event.id, name: b.name, kind: b.kind, price: b.price, minPrice: b.minPrice, stock: b.stock,
        perOrderLimit: b.perOrderLimit, perPersonLimit: b.perPersonLimit, salesOpenAt: local(b.salesOpenAt), salesCloseAt: local(b.salesCloseAt), vatRate: b.vatRate,
      });
      return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.priceCreated') });
    } catch (error) {
      if (!(error instanceof DomainError) || error.fields.length === 0) throw error;
      return ticketsPage(request, reply, c.place, c.event, { price: { values: b, errors: error.fields } }, 422);
    }
  });

  app.post('/venues/:slug/admin/events/:id/tickets/policy', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const raw = String(((request.body ?? {}) as Record<string, unknown>).hours ?? '').trim();
    await setCancellationPolicy(db, actorOf(request), { slug: c.place.slug, eventId: c.event.id, holderDeadlineHours: raw === '' ? null : /^\d+$/.test(raw) ? Number(raw) : raw });
    return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('forms.saved') });
  });

  app.post('/venues/:slug/admin/events/:id/tickets/cancel-all', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    if (((request.body ?? {}) as Record<string, unknown>).confirm !== 'yes') {
      return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.confirmFirst') }, 422);
    }
    const r = await cancelEventOrders(db, stripe, actorOf(request), { slug: c.place.slug, eventId: c.event.id });
    return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.cancelledAll', { cancelled: r.cancelled, failed: r.failed, refund: formatEuros(r.refundCents, request.ctx.lang) }) });
  });

  for (const kind of ['orders', 'attendees'] as const) {
    app.get(`/venues/:slug/admin/events/:id/tickets/${kind}.csv`, async (request, reply) => {
      const c = await context(request, reply);
      if (!c) return reply;
      const csv = await exportEventCsv(db, actorOf(request), { slug: c.place.slug, eventId: c.event.id, kind });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${c.event.slug}-${kind}.csv"`)
        .header('cache-control', 'no-store')
        .send('\uFEFF' + csv);
    });
  }
}
