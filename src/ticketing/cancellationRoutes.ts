import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/app.ts';
import { actorOf } from '../http/context.ts';
import { csrfField } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { cancelEventOrders } from './cancelEventOrders.ts';
import { cancelOrder } from './cancelOrder.ts';
import { cancelOwnOrder } from './cancelOwnOrder.ts';
import { setCancellationPolicy } from './setCancellationPolicy.ts';

const Cancelled = Type.Object({ id: Type.String(), status: Type.Literal('cancelled'), alreadyCancelled: Type.Boolean(), refundCents: Type.Integer() });

/** Cancellation of orders: by the venue (API, one order or a whole event) and by the holder (page). */
export async function cancellationRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, stripe } = deps;

  app.post(
    '/api/v1/orders/:id/cancel',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Cancel an order (venue): places given back, tickets cancelled, what was paid refunded',
        description: 'Needs `events.write` on the venue (API key scope `events:write`). Cancelling a cancelled order changes nothing and answers `alreadyCancelled: true`.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ id: Type.String({ maxLength: 36 }) }),
        response: responses({ 200: Cancelled }, [401, 403, 404, 409]),
      },
    },
    async (request) => {
      const r = await cancelOrder(db, stripe, actorOf(request), { orderId: request.params.id });
      return { id: r.orderId, status: 'cancelled' as const, alreadyCancelled: r.outcome === 'already', refundCents: r.refundCents };
    },
  );

  app.post(
    '/api/v1/venues/:slug/events/:eventId/cancel-orders',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Cancel every pending and paid order of an event (venue), each on its own',
        description: 'Needs `events.write`. Answers how many orders were cancelled, were already, or could not be (left unchanged), and the total refunded.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), eventId: Type.String({ maxLength: 36 }) }),
        response: responses({ 200: Type.Object({ cancelled: Type.Integer(), already: Type.Integer(), failed: Type.Integer(), refundCents: Type.Integer() }) }, [401, 403, 404]),
      },
    },
    async (request) => cancelEventOrders(db, stripe, actorOf(request), { slug: request.params.slug, eventId: request.params.eventId }),
  );

  app.put(
    '/api/v1/venues/:slug/events/:eventId/cancellation-policy',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Until how many hours before the date buyers may cancel their orders (null: only the venue cancels)',
        description: 'Needs `events.write`. The deadline is counted from the earliest date of each order.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), eventId: Type.String({ maxLength: 36 }) }),
        body: Type.Object({ holderDeadlineHours: Type.Union([Type.Integer(), Type.Null()]) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ holderDeadlineHours: Type.Union([Type.Integer(), Type.Null()]) }) }, [401, 403, 404, 422]),
      },
    },
    async (request) => setCancellationPolicy(db, actorOf(request), { slug: request.params.slug, eventId: request.params.eventId, holderDeadlineHours: request.body.holderDeadlineHours }),
  );

  // The holder confirms on a page of its own: a GET never cancels.
  app.get('/orders/:id/cancel', async (request, reply) => {
    const { t } = request.ctx;
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw notFound('order');
    const order = await db.selectFrom('orders').select(['id', 'reference']).where('id', '=', id).executeTakeFirst();
    if (!order) throw notFound('order');
    const body = html`<section class="narrow"><h1>${t('cancellation.confirmTitle')}</h1><p>${t('cancellation.confirmIntro', { reference: order.reference })}</p>
<form method="post" action="/orders/${order.id}/cancel">${csrfField(request)}<button type="submit">${t('cancellation.button')}</button></form>
<p><a href="/orders/${order.id}">${t('cancellation.keep')}</a></p></section>`;
    return sendHtml(reply, layout(request, info, { title: t('cancellation.confirmTitle'), body }));
  });

  app.post('/orders/:id/cancel', async (request, reply) => {
    const { id } = request.params as { id: string };
    const r = await cancelOwnOrder(db, stripe, request.ctx.actor, { orderId: id });
    return reply.redirect(`/orders/${r.orderId}`, 303);
  });
}
