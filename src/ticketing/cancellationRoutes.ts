import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { csrfField } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { cancelEventOrders } from './cancelEventOrders.ts';
import { cancelOrder } from './cancelOrder.ts';
import { cancelOwnOrder, orderForCancellation } from './cancelOwnOrder.ts';
import { creditOffer, setCreditRefunds } from './creditRefund.ts';
import { setCancellationPolicy } from './setCancellationPolicy.ts';

const Cancelled = Type.Object({
  id: Type.String(),
  status: Type.Literal('cancelled'),
  alreadyCancelled: Type.Boolean(),
  refundCents: Type.Integer(),
  creditCents: Type.Integer(),
});
const RefundTo = Type.Optional(
  Type.Union([Type.Literal('payment'), Type.Literal('credit')], {
    description:
      "`payment` (default): refunded to the original payment. `credit`: credited to the buyer's Rezo wallet in the venue's local euro, when the venue offers it (409 `credit-not-offered` / `credit-needs-account` otherwise).",
  }),
);
const CancelBody = Type.Object({ refundTo: RefundTo }, { additionalProperties: false });
/** The cancel body is optional (no body: refund to the payment): an absent body validates as `{}`. */
const emptyBodyAsObject = async (request: FastifyRequest) => {
  request.body ??= {};
};

/** Cancellation of orders: by the venue (API, one order or a whole event) and by the holder (page). */
export async function cancellationRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, stripe } = deps;

  app.post(
    '/api/v1/orders/:id/cancel',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['tickets'],
        summary: 'Cancel an order (venue): places given back, tickets cancelled, what was paid refunded',
        description:
          'Needs `events.write` on the venue (API key scope `events:write`). Cancelling a cancelled order changes nothing and answers `alreadyCancelled: true`.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ id: Type.String({ maxLength: 36 }) }),
        body: CancelBody,
        response: responses({ 200: Cancelled }, [401, 403, 404, 409, 422]),
      },
    },
    async (request) => {
      const r = await cancelOrder(db, stripe, actorOf(request), {
        orderId: request.params.id,
        refundTo: request.body.refundTo,
      });
      return {
        id: r.orderId,
        status: 'cancelled' as const,
        alreadyCancelled: r.outcome === 'already',
        refundCents: r.refundCents,
        creditCents: r.creditCents,
      };
    },
  );

  app.post(
    '/api/v1/venues/:slug/events/:eventId/cancel-orders',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['tickets'],
        summary: 'Cancel every pending and paid order of an event (venue), each on its own',
        description:
          'Needs `events.write`. Answers how many orders were cancelled, were already, or could not be (left unchanged), and the total refunded.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), eventId: Type.String({ maxLength: 36 }) }),
        body: CancelBody,
        response: responses(
          {
            200: Type.Object({
              cancelled: Type.Integer(),
              already: Type.Integer(),
              failed: Type.Integer(),
              refundCents: Type.Integer(),
              creditCents: Type.Integer(),
            }),
          },
          [401, 403, 404, 409, 422],
        ),
      },
    },
    async (request) =>
      cancelEventOrders(db, stripe, actorOf(request), {
        slug: request.params.slug,
        eventId: request.params.eventId,
        refundTo: request.body.refundTo,
      }),
  );

  app.put(
    '/api/v1/venues/:slug/credit-refunds',
    {
      schema: {
        tags: ['tickets'],
        summary:
          "Offer refunds as credit to the buyer's Rezo wallet, in one of the venue's local euros (null: refunds go to the payment only)",
        description:
          "Needs `place.settings` (API key scope `place:write`). The currency must be an active `local_euro` issued by the venue: the credit is minted against the order's payment, which the venue holds.",
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        body: Type.Object(
          { creditCurrency: Type.Union([Type.String({ maxLength: 12 }), Type.Null()]) },
          { additionalProperties: false },
        ),
        response: responses(
          { 200: Type.Object({ creditCurrency: Type.Union([Type.String(), Type.Null()]) }) },
          [401, 403, 404, 422],
        ),
      },
    },
    async (request) =>
      setCreditRefunds(db, actorOf(request), {
        slug: request.params.slug,
        creditCurrency: request.body.creditCurrency,
      }),
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
        body: Type.Object(
          { holderDeadlineHours: Type.Union([Type.Integer(), Type.Null()]) },
          { additionalProperties: false },
        ),
        response: responses(
          { 200: Type.Object({ holderDeadlineHours: Type.Union([Type.Integer(), Type.Null()]) }) },
          [401, 403, 404, 422],
        ),
      },
    },
    async (request) =>
      setCancellationPolicy(db, actorOf(request), {
        slug: request.params.slug,
        eventId: request.params.eventId,
        holderDeadlineHours: request.body.holderDeadlineHours,
      }),
  );

  // The holder confirms on a page of its own: a GET never cancels.
  app.get('/orders/:id/cancel', async (request, reply) => {
    const { t } = request.ctx;
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw notFound('order');
    const order = await orderForCancellation(db, id);
    if (!order) throw notFound('order');
    // The choice is offered when the venue offers credit and there is money to give back to an account.
    const offer =
      order.status === 'paid' && order.payment_id && order.person_id ? await creditOffer(db, order.place_id) : null;
    const choice = offer
      ? html`<fieldset><legend>${t('credit.choice.legend')}</legend>
<label class="check"><input type="radio" name="refundTo" value="payment" checked> ${t('credit.choice.payment')}</label>
<label class="check"><input type="radio" name="refundTo" value="credit"> ${t('credit.choice.credit', { currency: offer.name })}</label>
</fieldset>`
      : '';
    const body = html`<section class="narrow"><h1>${t('cancellation.confirmTitle')}</h1><p>${offer ? t('credit.confirmIntro', { reference: order.reference }) : t('cancellation.confirmIntro', { reference: order.reference })}</p>
<form method="post" action="/orders/${order.id}/cancel">${csrfField(request)}${choice}<button type="submit">${t('cancellation.button')}</button></form>
<p><a href="/orders/${order.id}">${t('cancellation.keep')}</a></p></section>`;
    return sendHtml(reply, layout(request, info, { title: t('cancellation.confirmTitle'), body }));
  });

  app.post('/orders/:id/cancel', async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as { refundTo?: unknown };
    const r = await cancelOwnOrder(db, stripe, request.ctx.actor, { orderId: id, refundTo: form.refundTo });
    return reply.redirect(`/orders/${r.orderId}`, 303);
  });
}
