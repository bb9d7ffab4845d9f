import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, type FormState } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { adminNav } from '../places/index.ts';
import type { Place } from '../places/index.ts';
import { createEndpoint } from './createEndpoint.ts';
import { deleteEndpoint } from './deleteEndpoint.ts';
import { listWebhooks, WEBHOOK_EVENTS, type WebhookDelivery, type WebhookEndpoint } from './webhooks.ts';
import { localeOf } from '../i18n/i18n.ts';

const EndpointSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
const DeliverySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  endpointId: Type.String({ format: 'uuid' }),
  url: Type.String(),
  eventId: Type.String({ format: 'uuid' }),
  type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
const presentEndpoint = (e: WebhookEndpoint) => ({ ...e, createdAt: e.createdAt.toISOString() });
const presentDelivery = (d: WebhookDelivery) => ({
  ...d,
  nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
});
const Params = Type.Object({ slug: Type.String({ maxLength: 60 }) });

/** Outgoing webhooks of a venue: admin page (endpoints and delivery log) and API, for people only. */
export async function webhookRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, config } = deps;

  async function webhooksPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form: FormState,
    status = 200,
    secret?: string,
  ) {
    const { t, lang } = request.ctx;
    const { endpoints, deliveries } = await listWebhooks(db, actorOf(request), place.slug);
    const chosen = (form.values.events as string[] | undefined) ?? [];
    const fmt = (d: Date | null) => (d ? d.toLocaleString(localeOf(lang), { timeZone: place.timezone }) : '—');
    const eventsInvalid = form.errors.some((e) => e.field === 'events');
    const body = html`<section>
${adminNav(request, place, 'webhooks')}
${
  secret
    ? html`<div class="notice secret" role="status"><p>${t('webhooks.created')}</p>
<p><label for="new-secret">${t('webhooks.secret')}</label><input id="new-secret" readonly value="${secret}" class="mono" size="60"></p>
<p><strong>${t('webhooks.onlyOnce')}</strong></p></div>`
    : ''
}
<p>${t('webhooks.intro')}</p>
<div class="table-scroll"><table class="list">
<caption>${t('webhooks.endpoints', { count: endpoints.length })}</caption>
<thead><tr><th scope="col">${t('labels.url')}</th><th scope="col">${t('labels.events')}</th><th scope="col">${t('webhooks.col.state')}</th><th scope="col"><span class="visually-hidden">${t('webhooks.col.actions')}</span></th></tr></thead>
<tbody>${endpoints.map(
      (
        e,
      ) => html`<tr><td class="mono">${e.url}</td><td>${e.events.join(', ')}</td><td>${t(e.active ? 'webhooks.active' : 'webhooks.inactive')}</td>
<td><form method="post" action="/venues/${place.slug}/admin/webhooks/${e.id}/delete" class="inline">${csrfField(request)}<button class="danger" type="submit">${t('webhooks.delete')}</button></form></td></tr>`,
    )}</tbody>
</table></div>
<h2>${t('webhooks.new')}</h2>
${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/webhooks" novalidate>
${csrfField(request)}
${input(request, form, 'url', { type: 'url', required: true, hint: t('webhooks.urlHint') })}
<fieldset id="events"${eventsInvalid ? html` aria-describedby="events-error"` : ''}><legend>${t('labels.events')}</legend>
${WEBHOOK_EVENTS.map((e) => html`<label class="check"><input type="checkbox" name="events" value="${e}"${chosen.includes(e) ? html` checked` : ''}> <span class="mono">${e}</span> — ${t(`webhooks.type.${e}`)}</label>`)}
${eventsInvalid ? html`<p class="error" id="events-error">${form.errors.filter((e) => e.field === 'events').map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}
</fieldset>
<button type="submit">${t('webhooks.create')}</button>
</form>
<h2>${t('webhooks.log')}</h2>
<div class="table-scroll"><table class="list">
<caption>${t('webhooks.logCaption', { count: deliveries.length })}</caption>
<thead><tr><th scope="col">${t('webhooks.col.when')}</th><th scope="col">${t('webhooks.col.event')}</th><th scope="col">${t('labels.url')}</th><th scope="col">${t('webhooks.col.status')}</th><th scope="col">${t('webhooks.col.code')}</th><th scope="col">${t('webhooks.col.attempts')}</th><th scope="col">${t('webhooks.col.nextTry')}</th><th scope="col">${t('webhooks.col.error')}</th></tr></thead>
<tbody>${deliveries.map(
      (d) =>
        html`<tr><td>${fmt(d.createdAt)}</td><td class="mono">${d.type}</td><td class="mono">${d.url}</td><td>${t(`webhooks.status.${d.status}`)}</td><td>${d.statusCode ?? '—'}</td><td>${d.attempts}</td><td>${fmt(d.nextAttemptAt)}</td><td>${d.error ?? ''}</td></tr>`,
    )}</tbody>
</table></div>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('admin.titles.webhooks'), body }), status);
  }

  // The endpoints' reads and use cases authorise (webhooks.manage).
  const placeFor = venueFor(db, null);

  app.get('/venues/:slug/admin/webhooks', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    return webhooksPage(request, reply, place, emptyForm());
  });

  app.post('/venues/:slug/admin/webhooks', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const events = body.events === undefined ? [] : Array.isArray(body.events) ? body.events : [body.events];
    const options = { allowPrivate: config.webhooksAllowPrivate };
    return submitForm(reply, {
      run: () => createEndpoint(db, actorOf(request), { slug: place.slug, url: body.url, events }, options),
      done: ({ secret }) => webhooksPage(request, reply, place, emptyForm(), 201, secret),
      invalid: (errors) => webhooksPage(request, reply, place, { values: { ...body, events }, errors }, 422),
    });
  });

  app.post('/venues/:slug/admin/webhooks/:endpointId/delete', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    await deleteEndpoint(db, actorOf(request), {
      slug: place.slug,
      endpointId: (request.params as { endpointId: string }).endpointId,
    });
    return reply.redirect(`/venues/${place.slug}/admin/webhooks`, 303);
  });

  const security: Record<string, string[]>[] = [{ session: [] }];
  app.get(
    '/api/v1/venues/:slug/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "A venue's webhook endpoints (never their secrets) and its last deliveries",
        security,
        params: Params,
        response: responses({
          200: Type.Object({ endpoints: Type.Array(EndpointSchema), deliveries: Type.Array(DeliverySchema) }),
        }),
      },
    },
    async (request) => {
      const { endpoints, deliveries } = await listWebhooks(db, actorOf(request), request.params.slug);
      return { endpoints: endpoints.map(presentEndpoint), deliveries: deliveries.map(presentDelivery) };
    },
  );
  app.post(
    '/api/v1/venues/:slug/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Add a webhook endpoint; its signing secret is in this answer only',
        security,
        params: Params,
        body: Type.Object(
          {
            url: Type.String({ maxLength: 2000 }),
            events: Type.Array(Type.String({ maxLength: 60 }), { maxItems: 20 }),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: Type.Object({ endpoint: EndpointSchema, secret: Type.String() }) }),
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await createEndpoint(
        db,
        actorOf(request),
        { slug: request.params.slug, ...request.body },
        { allowPrivate: config.webhooksAllowPrivate },
      );
      return reply.status(201).send({ endpoint: presentEndpoint(endpoint), secret });
    },
  );
  app.delete(
    '/api/v1/venues/:slug/webhooks/:endpointId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Remove a webhook endpoint and its delivery log',
        security,
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), endpointId: Type.String({ maxLength: 36 }) }),
        response: responses({ 204: Type.Null() }, [401, 403, 404]),
      },
    },
    async (request, reply) => {
      await deleteEndpoint(db, actorOf(request), request.params);
      return reply.status(204).send();
    },
  );
}
