import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { ModuleApp } from '../http/module.ts';
import { layout, sendHtml, type LayoutInfo } from '../http/layout.ts';
import { actorOf } from '../http/context.ts';
import { formBody, submitForm } from '../http/formRoute.ts';
import { csrfField, errorSummary, type FormState } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { adminNav, vatDefaultsOf, type Place } from '../places/index.ts';
import { parseLocalDateTime, zonedToInstant } from '../agenda/index.ts';
import { pricesForAdmin } from './eventAdmin.ts';
import { deleteTicketPrice, setTicketPriceOnSale, updateTicketPrice } from './editTicketPrice.ts';
import { priceFields, priceFormValues } from './priceAdminPage.ts';

type AdminEvent = { id: string; title: string; slug: string };
type TicketsPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  place: Place,
  event: AdminEvent,
  state?: { notice?: string; alert?: string },
  status?: number,
) => Promise<FastifyReply>;

/** A price form's fields as the use cases read them; datetime-local has no zone: read in the venue's. */
export function priceInputOf(b: Record<string, unknown>, timeZone: string) {
  const local = (v: unknown) => {
    if (typeof v !== 'string' || !v) return undefined;
    const parts = parseLocalDateTime(v);
    return parts ? zonedToInstant(parts, timeZone) : v;
  };
  return {
    name: b.name,
    kind: b.kind,
    price: b.price,
    minPrice: b.minPrice,
    stock: b.stock,
    perOrderLimit: b.perOrderLimit,
    perPersonLimit: b.perPersonLimit,
    salesOpenAt: local(b.salesOpenAt),
    salesCloseAt: local(b.salesCloseAt),
    vatRate: b.vatRate,
  };
}

/**
 * Editing, deleting and closing an event's prices (docs/TICKETING.md, invariant 22), on the event's
 * ticketing page. A price someone ordered meanwhile is refused by the use case (409 `price-in-use`),
 * shown on the page in the person's language.
 */
export function priceAdminRoutes(
  app: ModuleApp,
  deps: {
    db: Db;
    info: LayoutInfo;
    context: (request: FastifyRequest, reply: FastifyReply) => Promise<{ place: Place; event: AdminEvent } | null>;
    ticketsPage: TicketsPage;
  },
) {
  const { db, info, context, ticketsPage } = deps;
  const priceOf = async (place: Place, event: AdminEvent, priceId: string) => {
    const price = isUuid(priceId) ? (await pricesForAdmin(db, place.id, event.id)).find((p) => p.id === priceId) : null;
    if (!price) throw notFound('ticket-price');
    return price;
  };
  const refusedInUse =
    (request: FastifyRequest, reply: FastifyReply, c: { place: Place; event: AdminEvent }) => (e: unknown) => {
      if (!(e instanceof DomainError) || e.code !== 'price-in-use') throw e;
      return ticketsPage(
        request,
        reply,
        c.place,
        c.event,
        { alert: request.ctx.t('problems.price-in-use.detail', e.params) },
        409,
      );
    };

  async function editPage(
    request: FastifyRequest,
    reply: FastifyReply,
    c: { place: Place; event: AdminEvent },
    priceId: string,
    state?: FormState,
    status = 200,
  ) {
    const { t, lang } = request.ctx;
    const price = await priceOf(c.place, c.event, priceId);
    const base = `/venues/${c.place.slug}/admin/events/${c.event.id}/tickets`;
    if (price.ordered) return reply.redirect(`${base}#price-${price.id}`, 303);
    const form = state ?? { values: priceFormValues(price, c.place.timezone, lang), errors: [] };
    const vat = await vatDefaultsOf(db, c.place.id);
    const body = html`<section>
${adminNav(request, c.place, 'events')}
<p class="breadcrumb"><a href="${base}#prices">${t('ticketAdmin.title')} — ${c.event.title}</a></p>
<h2>${t('ticketAdmin.editPriceTitle', { name: price.name })}</h2>
<p class="hint">${t('ticketAdmin.rules')}</p>
${errorSummary(request, form)}
<form method="post" action="${base}/prices/${price.id}" novalidate>${csrfField(request)}
${priceFields(request, form, vat, c.place.city)}
<button type="submit">${t('forms.save')}</button> <a href="${base}#prices">${t('ticketAdmin.back')}</a></form>
</section>`;
    return sendHtml(
      reply,
      layout(request, info, { title: `${t('ticketAdmin.editPrice')} — ${price.name}`, body }),
      status,
    );
  }

  const path = '/venues/:slug/admin/events/:id/tickets/prices/:pid';
  const ref = (request: FastifyRequest, c: { place: Place; event: AdminEvent }) => ({
    slug: c.place.slug,
    eventId: c.event.id,
    priceId: (request.params as { pid: string }).pid,
  });

  app.get(path, async (request, reply) => {
    const c = await context(request, reply);
    return c ? editPage(request, reply, c, (request.params as { pid: string }).pid) : reply;
  });

  app.post(path, async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const b = formBody(request);
    return submitForm(reply, {
      run: () => updateTicketPrice(db, actorOf(request), { ...ref(request, c), ...priceInputOf(b, c.place.timezone) }),
      done: () => ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.priceSaved') }),
      invalid: (errors) => editPage(request, reply, c, ref(request, c).priceId, { values: b, errors }, 422),
    }).catch(refusedInUse(request, reply, c));
  });

  app.post(`${path}/delete`, async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    return deleteTicketPrice(db, actorOf(request), ref(request, c)).then(
      () => ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.priceDeleted') }),
      refusedInUse(request, reply, c),
    );
  });

  app.post(`${path}/:state`, async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const { state } = request.params as { state: string };
    if (state !== 'close' && state !== 'reopen') throw notFound('page');
    await setTicketPriceOnSale(db, actorOf(request), { ...ref(request, c), onSale: state === 'reopen' });
    const notice = request.ctx.t(state === 'close' ? 'ticketAdmin.priceClosed' : 'ticketAdmin.priceReopened');
    return ticketsPage(request, reply, c.place, c.event, { notice });
  });
}
