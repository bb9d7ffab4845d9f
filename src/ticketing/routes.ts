import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { csrfField } from '../http/forms.ts';
import QRCode from 'qrcode';
import { escapeHtml, html, unsafeRaw } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { DomainError, notFound, RetryLater, type FieldError } from '../shared/errors.ts';
import { amountField, checkoutDetailsForm, ticketForm } from './eventTickets.ts';
import { answersFromForm, questionsOf } from './questions.ts';
import { sellableCheckout, sellableOffers } from './sellableOffers.ts';
import { placeOrderOnSite } from './payOnSite.ts';
import { onSiteHoldOf } from './onSiteOrders.ts';
import { canTakePayments } from '../payments/index.ts';
import { isUuid } from '../shared/ids.ts';
import { formatEuros, MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { checkIn } from './checkIn.ts';
import { confirmFreeOrder } from './confirmFreeOrder.ts';
import { payOrder } from './payOrder.ts';
import { payOrderWithWallet } from './payOrderWithWallet.ts';
import { placeOrder } from './placeOrder.ts';
import { publicKeysOf, signTicket } from './ticketSignature.ts';
import { ticketsPdf } from './ticketPdf.ts';
import { formatDateTime, localeOf, translate } from '../i18n/i18n.ts';

export const Scan = Type.Object({
  payload: Type.String({ maxLength: 300 }),
  nonce: Type.String({ minLength: 8, maxLength: 100 }),
  scannedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export const Answer = Type.Object({
  nonce: Type.String(),
  result: Type.Union(
    ['valid', 'already_checked_in', 'cancelled', 'refunded', 'wrong_event', 'unknown'].map((r) => Type.Literal(r)),
  ),
  ticketId: Type.Union([Type.String(), Type.Null()]),
  holderName: Type.Optional(Type.String()),
  priceName: Type.Optional(Type.String()),
  previous: Type.Optional(Type.Object({ at: Type.String(), listName: Type.String() })),
});

/** Orders (API and pages), free-booking confirmation, ticket keys and the check-in API. */
export async function ticketingRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db, stripe } = deps;

  app.get(
    '/api/v1/venues/:slug/ticket-keys',
    {
      schema: {
        tags: ['tickets'],
        summary: "A venue's public keys for verifying ticket QR codes offline",
        description:
          'Payload `R1.<ticket>.<date>.<key id>.<signature>`, the ticket and date ids written as base64url of their 16 bytes; the signature is Ed25519 over the text `R1|<venue id>|<ticket id>|<date id>` with the ids as UUID strings.',
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        response: responses(
          {
            200: Type.Object({
              venueId: Type.String(),
              keys: Type.Array(
                Type.Object({ id: Type.String(), publicKey: Type.String(), algorithm: Type.Literal('Ed25519') }),
              ),
            }),
          },
          [404],
        ),
      },
    },
    async (request) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      return {
        venueId: place.id,
        keys: (await publicKeysOf(db, place.id)).map((k) => ({ ...k, algorithm: 'Ed25519' as const })),
      };
    },
  );

  app.post(
    '/api/v1/checkins',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Check tickets in (one scan, or an offline batch)',
        description:
          'Door team or an API key with the `checkin` scope. Each scan carries a nonce made by the device: resending it (same ticket, same list) returns the first answer and counts once. A nonce already used for another ticket or list is refused (409 `checkin-nonce-reused`, naming `nonce` or `scans.<i>.nonce`) and nothing of the request is recorded.',
        security: [{ apiKey: [] }, { session: [] }],
        body: Type.Object(
          {
            venue: Type.String({ maxLength: 60 }),
            eventId: Type.String({ format: 'uuid' }),
            listId: Type.Optional(Type.String({ format: 'uuid' })),
            scans: Type.Array(Scan, { minItems: 1, maxItems: 500 }),
          },
          { additionalProperties: false },
        ),
        response: responses(
          { 200: Type.Object({ results: Type.Array(Answer), conflicts: Type.Integer() }) },
          [400, 401, 403, 404, 409, 422],
        ),
      },
    },
    async (request) => {
      const { venue, eventId, listId, scans } = request.body;
      const results = await checkIn(db, actorOf(request), {
        slug: venue,
        eventId,
        ...(listId ? { listId } : {}),
        scans,
      });
      return { results, conflicts: results.filter((r) => r.result === 'already_checked_in').length };
    },
  );

  app.post(
    '/api/v1/orders',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Place an order (seats are held while it is paid or confirmed)',
        description:
          'Paid orders answer with the Stripe Checkout URL; free bookings are confirmed by the link mailed to the address. Orders are limited per e-mail address and, without an account, per client address (429 `too-many-orders`), and orders without an account hold at most a share of a date until paid or confirmed (429 `unconfirmed-holds-full`); both with `Retry-After`. A price edited or closed by the venue while the order was being placed: 409 `price-changed`; its date removed meanwhile: 409 `event-date-removed`; nothing held either way.',
        body: Type.Object(
          {
            venue: Type.String({ maxLength: 60 }),
            email: Type.String({ maxLength: 254 }),
            name: Type.Optional(Type.String({ maxLength: 100 })),
            promoCode: Type.Optional(Type.String({ maxLength: 40 })),
            answers: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    questionId: Type.String({ maxLength: 36 }),
                    ticket: Type.Optional(
                      Type.Integer({
                        minimum: 0,
                        maximum: 2000,
                        description:
                          "Per-ticket questions: the place's 0-based rank in the order (lines in order, then quantity).",
                      }),
                    ),
                    value: Type.Union([Type.String({ maxLength: 2000 }), Type.Boolean()]),
                  },
                  { additionalProperties: false },
                ),
                {
                  maxItems: 1000,
                  description:
                    'Answers to the questions of GET /api/v1/events/{id}/questions (422 names `answers.<question>` or `answers.<question>.<ticket>`).',
                },
              ),
            ),
            lines: Type.Array(
              Type.Object(
                {
                  priceId: Type.String({ maxLength: 36 }),
                  eventDateId: Type.String({ maxLength: 36 }),
                  quantity: Type.Integer({ minimum: 1, maximum: 100 }),
                  amountCents: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 20 },
            ),
          },
          { additionalProperties: false },
        ),
        response: responses(
          {
            201: Type.Object({
              id: Type.String(),
              reference: Type.String(),
              totalCents: Type.Integer(),
              expiresAt: Type.String(),
              next: Type.Union([
                Type.Object({ kind: Type.Literal('pay'), url: Type.String() }),
                Type.Object({ kind: Type.Literal('confirm_by_mail') }),
              ]),
            }),
          },
          [400, 403, 404, 409, 422, 429, 503],
        ),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const actor = request.ctx.actor?.kind === 'person' ? request.ctx.actor : null;
      const order = await placeOrder(db, config, actor, {
        slug: b.venue,
        email: b.email,
        name: b.name,
        language: request.ctx.lang,
        promoCode: b.promoCode,
        clientAddress: request.ip,
        canTakePayments: (placeId) => canTakePayments(db, stripe, config, placeId),
        ...(b.answers ? { answers: b.answers } : {}),
        lines: b.lines.map((l) => ({
          priceId: l.priceId,
          eventDateId: l.eventDateId,
          quantity: l.quantity,
          ...(l.amountCents !== undefined ? { amount: l.amountCents } : {}),
        })),
      });
      const next = order.needsMailConfirmation
        ? { kind: 'confirm_by_mail' as const }
        : { kind: 'pay' as const, url: (await payOrder(db, stripe, config, actor, order)).url };
      return reply.status(201).send({
        id: order.id,
        reference: order.reference,
        totalCents: order.totalCents,
        expiresAt: order.expiresAt.toISOString(),
        next,
      });
    },
  );

  // The ticket form of an event page. Lines come from the `q.<price>.<date>` fields with a quantity.
  app.post('/events/:id/order', async (request, reply) => {
    const { t } = request.ctx;
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw notFound('event');
    const event = await db
      .selectFrom('events')
      .innerJoin('places', 'places.id', 'events.place_id')
      .select([
        'events.id',
        'events.place_id',
        'events.slug',
        'events.title',
        'events.state',
        'places.slug as place_slug',
      ])
      .where('events.id', '=', id)
      .executeTakeFirst();
    if (!event) throw notFound('event');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const lines = Object.entries(body)
      .filter(([k, v]) => k.startsWith('q.') && v !== '0' && v !== '')
      .map(([k, v]) => {
        const [, priceId = '', eventDateId = ''] = k.split('.');
        const amount = body[amountField(priceId, eventDateId)];
        return { priceId, eventDateId, quantity: v, ...(amount !== undefined ? { amount } : {}) };
      });
    const actor = request.ctx.actor?.kind === 'person' ? request.ctx.actor : null;
    const again = async (state: { errors?: FieldError[]; problem?: string }, status: number) => {
      const checkout = await sellableCheckout(db, stripe, config, event.place_id, event.id);
      const form = ticketForm(request, event, checkout.offers, { values: body, ...state }, checkout);
      return sendHtml(
        reply,
        layout(request, info, {
          title: t('buy.orderTitle', { event: event.title }),
          body: html`<section><p class="breadcrumb"><a href="/events/${event.slug}">${event.title}</a></p>${form}</section>`,
        }),
        status,
      );
    };
    // Checkout questions: the cart first, then a step with the holder's details and the questions.
    const questions = await questionsOf(db, event.place_id, [event.id]);
    const details = async (state: { errors?: FieldError[]; problem?: string }, status: number) => {
      const offers = await sellableOffers(db, stripe, config, event.place_id, event.id);
      const form = checkoutDetailsForm(request, event, offers, questions, lines, { values: body, ...state });
      return sendHtml(
        reply,
        layout(request, info, {
          title: t('buy.orderTitle', { event: event.title }),
          body: html`<section><p class="breadcrumb"><a href="/events/${event.slug}">${event.title}</a></p>${form}</section>`,
        }),
        status,
      );
    };
    if (questions.length > 0 && body._step !== 'details') {
      if (lines.length === 0) return again({ errors: [{ field: 'lines', message: 'choose-places' }] }, 422);
      return details({}, 200);
    }
    try {
      const input = {
        slug: event.place_slug,
        email: body.email,
        name: body.name,
        language: request.ctx.lang,
        promoCode: body.promoCode,
        lines,
        answers: answersFromForm(body),
        clientAddress: request.ip,
      };
      // "Payer sur place": held until its deadline, paid at the door (docs/TICKETING.md, "Paying on site").
      const onSite = body.pay === 'on_site';
      const order = onSite
        ? await placeOrderOnSite(db, config, actor, input)
        : await placeOrder(db, config, actor, {
            ...input,
            canTakePayments: (placeId) => canTakePayments(db, stripe, config, placeId),
          });
      if (onSite && order.totalCents > 0) return reply.redirect(`/orders/${order.id}`, 303);
      if (order.needsMailConfirmation) {
        return sendHtml(
          reply,
          layout(request, info, {
            title: t('buy.checkMailTitle'),
            body: html`<section class="narrow"><h1>${t('buy.checkMailTitle')}</h1><p>${t('buy.checkMail', { email: String(body.email).trim().toLowerCase(), minutes: config.bookingHoldMinutes })}</p></section>`,
          }),
        );
      }
      if (body.pay === 'wallet' && actor && order.totalCents > 0) {
        // The Rezo wallet (docs/PAYMENTS.md, "Wallet payments"): paid here, all or nothing.
        await payOrderWithWallet(db, config, actor, order);
        return reply.redirect(`/orders/${order.id}?payment=paid`, 303);
      }
      const { url } = await payOrder(db, stripe, config, actor, order);
      return reply.redirect(url, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error instanceof RetryLater) reply.header('retry-after', String(error.retryAfterSeconds));
      // Mistakes in the details step are fixed there; anything about the seats goes back to the cart.
      const inDetails =
        questions.length > 0 && error.fields.length > 0 && error.fields.every((f) => !f.field.startsWith('lines'));
      if (inDetails) return details({ errors: error.fields }, 422);
      if (error.fields.length > 0) return again({ errors: error.fields }, 422);
      if (error.status < 500) return again({ problem: t(`problems.${error.code}.detail`, error.params) }, error.status);
      throw error;
    }
  });

  // What an event sells and the seats left (also in the event page's JSON-LD offers).
  app.get(
    '/api/v1/events/:id/offers',
    {
      schema: {
        tags: ['tickets'],
        summary: "An event's ticket prices per date, with the seats left",
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: responses(
          {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  dateId: Type.String(),
                  startsAt: Type.String(),
                  prices: Type.Array(
                    Type.Object({
                      id: Type.String(),
                      name: Type.String(),
                      kind: Type.String(),
                      priceCents: Type.Integer(),
                      minPriceCents: Type.Integer(),
                      remaining: Type.Union([Type.Integer(), Type.Null()]),
                      onSale: Type.Boolean(),
                    }),
                  ),
                }),
              ),
            }),
          },
          [404, 422],
        ),
      },
    },
    async (request) => {
      const event = await db
        .selectFrom('events')
        .select(['id', 'place_id', 'state', 'visibility'])
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      // Only what is on public sale: drafts and private events stay invisible here as everywhere.
      if (!event || event.state !== 'published' || event.visibility === 'private') throw notFound('event');
      const offers = await sellableOffers(db, stripe, config, event.place_id, event.id);
      return {
        items: offers.map((d) => ({
          dateId: d.dateId,
          startsAt: d.startsAt.toISOString(),
          prices: d.prices.map((p) => ({
            id: p.id,
            name: p.name,
            kind: p.kind,
            priceCents: p.priceCents,
            minPriceCents: p.minPriceCents,
            remaining: p.remaining,
            onSale: p.onSale,
          })),
        })),
      };
    },
  );

  app.get(
    '/api/v1/events/:id/questions',
    {
      schema: {
        tags: ['tickets'],
        summary: 'The questions an event asks at checkout',
        description:
          "Answer them in POST /api/v1/orders `answers`: once per order, or once per ticket (`perTicket`) with the place's rank in `ticket`. `choice` answers are one of `choices`; `checkbox` answers are booleans; text at most 500 characters.",
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: responses(
          {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Type.String(),
                  label: Type.String(),
                  kind: Type.Union([Type.Literal('text'), Type.Literal('choice'), Type.Literal('checkbox')]),
                  choices: Type.Array(Type.String()),
                  required: Type.Boolean(),
                  perTicket: Type.Boolean(),
                }),
              ),
            }),
          },
          [404, 422],
        ),
      },
    },
    async (request) => {
      const event = await db
        .selectFrom('events')
        .select(['id', 'place_id', 'state', 'visibility'])
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!event || event.state !== 'published' || event.visibility === 'private') throw notFound('event');
      const questions = await questionsOf(db, event.place_id, [event.id]);
      return {
        items: questions.map((q) => ({
          id: q.id,
          label: q.label,
          kind: q.kind,
          choices: q.choices,
          required: q.required,
          perTicket: q.perTicket,
        })),
      };
    },
  );

  // The mailed link opens a page with a button: a GET never confirms (mail scanners open links).
  app.get('/orders/confirm/:token', async (request, reply) => {
    const { t } = request.ctx;
    const { token } = request.params as { token: string };
    const body = html`<section class="narrow"><h1>${t('orders.confirmTitle')}</h1><p>${t('orders.confirmIntro')}</p>
<form method="post" action="/orders/confirm/${token}">${csrfField(request)}<button type="submit" autofocus>${t('orders.confirm')}</button></form></section>`;
    return sendHtml(reply, layout(request, info, { title: t('orders.confirmTitle'), body }));
  });

  app.post('/orders/confirm/:token', async (request, reply) => {
    const { orderId } = await confirmFreeOrder(db, config, (request.params as { token: string }).token);
    return reply.redirect(`/orders/${orderId}`, 303);
  });

  // An order's page: knowing its id (a UUIDv7 given to the buyer only) is the access, like a ticket.
  app.get('/orders/:id', async (request, reply) => {
    const { t, lang } = request.ctx;
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw notFound('order');
    const order = await db
      .selectFrom('orders')
      .innerJoin('places', 'places.id', 'orders.place_id')
      .select([
        'orders.id',
        'orders.place_id',
        'orders.reference',
        'orders.status',
        'orders.total_cents',
        'orders.email',
        'places.name as place_name',
        'places.timezone as place_timezone',
      ])
      .where('orders.id', '=', id)
      .executeTakeFirst();
    if (!order) throw notFound('order');
    const tickets = await db
      .selectFrom('tickets as tk')
      .innerJoin('ticket_prices as p', (j) =>
        j.onRef('p.place_id', '=', 'tk.place_id').onRef('p.id', '=', 'tk.price_id'),
      )
      .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'tk.place_id').onRef('e.id', '=', 'tk.event_id'))
      .innerJoin('event_dates as d', (j) =>
        j.onRef('d.place_id', '=', 'tk.place_id').onRef('d.id', '=', 'tk.event_date_id'),
      )
      .select([
        'tk.id',
        'tk.place_id',
        'tk.event_date_id',
        'tk.status',
        'p.name as price',
        'e.title',
        'd.starts_at',
        'd.timezone',
      ])
      .where('tk.place_id', '=', order.place_id)
      .where('tk.order_id', '=', order.id)
      .execute();
    const payloads = await Promise.all(
      tickets.map((x) => signTicket(db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id })),
    );
    // The QR is drawn by the qrcode library from the signed payload: markup we generate, not user input.
    const qrs = await Promise.all(
      payloads.map((p) => QRCode.toString(p, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })),
    );
    // Held for payment on site: said first and plainly (docs/TICKETING.md, "Paying on site").
    const onSiteDeadline = await onSiteHoldOf(db, order);
    const unpaid = onSiteDeadline
      ? html`<div class="alert" role="status"><h2>${t('onSite.unpaidTitle')}</h2>
<p>${t('onSite.unpaidText', { amount: formatEuros(order.total_cents, lang), place: order.place_name, deadline: formatDateTime(lang, onSiteDeadline, order.place_timezone) })}</p>
<p>${t('onSite.unpaidAfter')}</p></div>`
      : '';
    const body = html`<section>
<h1>${t('orders.title', { reference: order.reference })}</h1>
<p>${order.place_name} · ${t(`orders.status.${order.status}`)} · ${formatEuros(order.total_cents, lang)}</p>
${unpaid}
${order.status === 'pending' || order.status === 'paid' ? html`<p><a href="/orders/${order.id}/cancel">${t('cancellation.button')}</a></p>` : ''}
${tickets.length === 0 ? html`<p>${t('orders.noTickets')}</p>` : ''}
${tickets.some((x) => x.status === 'valid') ? html`<p><a href="/orders/${order.id}/tickets.pdf">${t('tickets.mine.download')}</a></p>` : ''}
<ul class="cards">${tickets.map(
      (
        x,
        i,
      ) => html`<li class="card"><h2>${x.title}</h2><p>${x.starts_at.toLocaleString(localeOf(lang), { timeZone: x.timezone, dateStyle: 'full', timeStyle: 'short' })}</p>
<p>${x.price} · ${t(`orders.ticketStatus.${x.status}`)}</p>
<figure class="qr">${unsafeRaw(qrs[i]!.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(t('orders.qr'))}" width="240" height="240" `))}<figcaption class="mono">${payloads[i]}</figcaption></figure></li>`,
    )}</ul></section>`;
    return sendHtml(reply, layout(request, info, { title: t('orders.title', { reference: order.reference }), body }));
  });

  // The same access as the order's page: its id.
  app.get('/orders/:id/tickets.pdf', async (request, reply) => {
    const { id } = request.params as { id: string };
    const pdf = await ticketsPdf(db, id);
    const order = await db
      .selectFrom('orders')
      .select(['reference', 'language'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const filename = translate(order.language, 'tickets.pdf.filename', { reference: order.reference });
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
      .header('cache-control', 'private, no-store')
      .send(pdf);
  });
}
