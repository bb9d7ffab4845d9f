import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, type FormState } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { API_SCOPES } from '../access/permissions.ts';
import { adminNav } from '../places/index.ts';
import type { Place } from '../places/index.ts';
import type { ApiKeyInfo } from './apiKeys.ts';
import { createApiKey } from './createApiKey.ts';
import { listApiKeys } from './listApiKeys.ts';
import { revokeApiKey } from './revokeApiKey.ts';
import { localeOf } from '../i18n/i18n.ts';

const KeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart.' }),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const present = (k: ApiKeyInfo) => ({
  ...k,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});
const Params = Type.Object({ slug: Type.String({ maxLength: 60 }) });

/** API keys of a venue: admin page and API (people only: a key cannot manage keys). */
export async function apiKeyRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db } = deps;

  async function keysPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form: FormState,
    status = 200,
    created?: { name: string; secret: string },
  ) {
    const { t, lang } = request.ctx;
    const keys = await listApiKeys(db, actorOf(request), place.slug);
    const scopes = (form.values.scopes as string[] | undefined) ?? [];
    const fmt = (d: Date | null) => (d ? d.toLocaleString(localeOf(lang), { timeZone: place.timezone }) : '—');
    const body = html`<section>
${adminNav(request, place, 'keys')}
${
  created
    ? html`<div class="notice secret" role="status"><p>${t('keys.created', { name: created.name })}</p>
<p><label for="new-key">${t('keys.secret')}</label><input id="new-key" readonly value="${created.secret}" class="mono" size="60"></p>
<p><strong>${t('keys.onlyOnce')}</strong></p></div>`
    : ''
}
<p>${t('keys.intro')}</p>
<div class="table-scroll"><table class="list">
<caption>${t('keys.caption', { count: keys.length })}</caption>
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('keys.prefix')}</th><th scope="col">${t('labels.scopes')}</th><th scope="col">${t('keys.lastUsed')}</th><th scope="col">${t('keys.state')}</th></tr></thead>
<tbody>${keys.map(
      (
        k,
      ) => html`<tr><td>${k.name}</td><td class="mono">${k.prefix}…</td><td>${k.scopes.join(', ')}</td><td>${fmt(k.lastUsedAt)}</td>
<td>${
        k.revokedAt
          ? t('keys.revokedAt', { when: fmt(k.revokedAt) })
          : html`<form method="post" action="/venues/${place.slug}/admin/keys/${k.id}/revoke" class="inline">${csrfField(request)}<button class="danger" type="submit">${t('keys.revoke')}</button></form>`
      }</td></tr>`,
    )}</tbody>
</table></div>
<h2>${t('keys.new')}</h2>
${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/keys" novalidate>
${csrfField(request)}
${input(request, form, 'name', { required: true })}
<fieldset id="scopes"><legend>${t('labels.scopes')}</legend>
${API_SCOPES.map((s) => html`<label class="check"><input type="checkbox" name="scopes" value="${s}"${scopes.includes(s) ? html` checked` : ''}> <span class="mono">${s}</span> — ${t(`scopes.${s}`)}</label>`)}
${form.errors.filter((e) => e.field === 'scopes').map((e) => html`<p class="error">${t(`fields.${e.message}`, e.params)}</p>`)}
</fieldset>
<button type="submit">${t('keys.create')}</button>
</form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('admin.titles.keys'), body }), status);
  }

  // The keys' reads and use cases authorise (apikeys.manage).
  const placeFor = venueFor(db, null);

  app.get('/venues/:slug/admin/keys', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    return keysPage(request, reply, place, emptyForm());
  });

  app.post('/venues/:slug/admin/keys', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const scopes = body.scopes === undefined ? [] : Array.isArray(body.scopes) ? body.scopes : [body.scopes];
    return submitForm(reply, {
      run: () => createApiKey(db, actorOf(request), { slug: place.slug, name: body.name, scopes }),
      done: ({ key, secret }) => keysPage(request, reply, place, emptyForm(), 201, { name: key.name, secret }),
      invalid: (errors) => keysPage(request, reply, place, { values: { ...body, scopes }, errors }, 422),
    });
  });

  app.post('/venues/:slug/admin/keys/:keyId/revoke', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    await revokeApiKey(db, actorOf(request), { slug: place.slug, keyId: (request.params as { keyId: string }).keyId });
    return reply.redirect(`/venues/${place.slug}/admin/keys`, 303);
  });

  const security: Record<string, string[]>[] = [{ session: [] }];
  app.get(
    '/api/v1/venues/:slug/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: "A venue's API keys (never their secrets)",
        security,
        params: Params,
        response: responses({ 200: Type.Object({ items: Type.Array(KeySchema) }) }),
      },
    },
    async (request) => ({ items: (await listApiKeys(db, actorOf(request), request.params.slug)).map(present) }),
  );
  app.post(
    '/api/v1/venues/:slug/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Make an API key; the secret is in this answer only',
        security,
        params: Params,
        body: Type.Object(
          {
            name: Type.String({ maxLength: 80 }),
            scopes: Type.Array(Type.Union(API_SCOPES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: 20 }),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: Type.Object({ key: KeySchema, secret: Type.String() }) }),
      },
    },
    async (request, reply) => {
      const { key, secret } = await createApiKey(db, actorOf(request), { slug: request.params.slug, ...request.body });
      return reply.status(201).send({ key: present(key), secret });
    },
  );
  app.delete(
    '/api/v1/venues/:slug/api-keys/:keyId',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        security,
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), keyId: Type.String({ maxLength: 36 }) }),
        response: responses({ 204: Type.Null() }, [401, 403, 404]),
      },
    },
    async (request, reply) => {
      await revokeApiKey(db, actorOf(request), request.params);
      return reply.status(204).send();
    },
  );
}
