import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { formBody, submitForm, venueFor } from '../http/formRoute.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import type { Place } from '../places/index.ts';
import type { FieldError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { doorEvent } from './door.ts';
import { unpaidOnSiteOrders } from './onSiteOrders.ts';
import { unpaidOrdersSection, unpaidSearch, type MarkPaidFrom } from './onSitePage.ts';
import { markOrderPaidOnSite } from './payOnSite.ts';

/** The notice after "Marquer payé", from the redirect's query (`marked`: the outcome, `ref`: the order). */
export function markedNotice(request: FastifyRequest): string {
  const { t } = request.ctx;
  const q = request.query as { marked?: string; ref?: string };
  const reference = String(q.ref ?? '').slice(0, 40);
  if (q.marked === 'confirmed') return t('onSite.marked', { reference });
  if (q.marked === 'already') return t('onSite.already', { reference });
  return '';
}

/**
 * Payment on site at the door (docs/TICKETING.md, "Paying on site"): the event's orders to collect, for
 * a logged-in door person or admin, and "Marquer payé" (also posted from the event's ticketing page).
 */
export async function onSiteRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const collector = venueFor(deps.db, 'onsite.pay');

  /** The door's list; `error`: the order whose "Marquer payé" was refused, with its field errors. */
  async function unpaidPage(
    request: FastifyRequest,
    reply: FastifyReply,
    view: { place: Place; eventId: string; error?: { orderId: string; errors: FieldError[] } },
  ) {
    const { db } = deps;
    const { place, eventId, error } = view;
    const { t } = request.ctx;
    const event = await doorEvent(db, place, eventId);
    const q = String((request.query as { q?: string }).q ?? '').slice(0, 100);
    const orders = await unpaidOnSiteOrders(db, actorOf(request), { placeId: place.id, eventId: event.id, q });
    const action = `/venues/${place.slug}/scan/${event.id}/unpaid`;
    const notice = markedNotice(request);
    const body = html`<section class="narrow">
<p class="breadcrumb"><a href="/venues/${place.slug}/scan/${event.id}">${event.title}</a></p>
<h1>${t('onSite.listTitle')}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p class="hint">${t('onSite.intro')}</p>
${unpaidSearch(request, action, q)}
${unpaidOrdersSection(request, place.slug, orders, { from: 'door', eventId: event.id }, place.timezone, error)}
</section>`;
    return sendHtml(
      reply,
      layout(request, info, { title: `${t('onSite.listTitle')} · ${event.title}`, body }),
      error ? 422 : 200,
    );
  }

  app.get('/venues/:slug/scan/:eventId/unpaid', async (request, reply) => {
    const place = await collector(request, reply);
    if (!place) return reply;
    return unpaidPage(request, reply, { place, eventId: (request.params as { eventId: string }).eventId });
  });

  app.post('/venues/:slug/orders/:orderId/paid-on-site', async (request, reply) => {
    const place = await collector(request, reply);
    if (!place) return reply;
    const { orderId } = request.params as { orderId: string };
    const body = formBody(request);
    const origin: MarkPaidFrom = {
      from: body.from === 'admin' ? 'admin' : 'door',
      eventId: typeof body.eventId === 'string' && isUuid(body.eventId) ? body.eventId : '',
    };
    const back = (query: string) =>
      !origin.eventId
        ? `/venues/${place.slug}/scan`
        : origin.from === 'admin'
          ? `/venues/${place.slug}/admin/events/${origin.eventId}/tickets?${query}#on-site-orders`
          : `/venues/${place.slug}/scan/${origin.eventId}/unpaid?${query}`;
    return submitForm(reply, {
      run: () => markOrderPaidOnSite(deps.db, deps.config, actorOf(request), { orderId, method: body.method }),
      // The reference only names the order in the notice (the list's own hidden field).
      done: (r) => back(`marked=${r.outcome}&ref=${encodeURIComponent(String(body.ref ?? '').slice(0, 40))}`),
      invalid: (errors) => unpaidPage(request, reply, { place, eventId: origin.eventId, error: { orderId, errors } }),
    });
  });
}
