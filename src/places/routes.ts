import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, select, textarea, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { roleOf } from '../access/permissions.ts';
import { DomainError, forbidden } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { createPlace } from './createPlace.ts';
import { PLACE_MODULES, slugify } from './placeInput.ts';
import { findMedia, getPlaceBySlug, listPlaces, type Place } from './places.ts';
import { updatePlace } from './updatePlace.ts';
import { uploadPlaceImage, type PlaceImageKind } from './uploadPlaceImage.ts';
import { adminNav } from './adminNav.ts';
import { renderSections } from '../http/sections.ts';
import { contentSecurityPolicy } from '../http/securityHeaders.ts';

const SlugParams = Type.Object({ slug: Type.String({ maxLength: 60 }) });

export const PlaceSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    slug: Type.String(),
    name: Type.String(),
    description: Type.String(),
    address: Type.Object({
      street: Type.String(),
      postalCode: Type.String(),
      city: Type.String(),
      country: Type.String(),
    }),
    geo: Type.Union([Type.Object({ latitude: Type.Number(), longitude: Type.Number() }), Type.Null()]),
    timezone: Type.String(),
    language: Type.String(),
    contact: Type.Object({ email: Type.String(), phone: Type.String(), website: Type.String() }),
    logoUrl: Type.Union([Type.String(), Type.Null()]),
    coverUrl: Type.Union([Type.String(), Type.Null()]),
    modules: Type.Array(Type.String()),
    url: Type.String(),
  },
  { $id: 'Venue', title: 'Venue' },
);

/** Writable fields of a venue in the API; the same rules as the settings form. */
const PlaceBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 120 })),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    street: Type.Optional(Type.String({ maxLength: 200 })),
    postal_code: Type.Optional(Type.String({ maxLength: 20 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    country: Type.Optional(Type.String({ maxLength: 2 })),
    latitude: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    longitude: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
    language: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')])),
    contact_email: Type.Optional(Type.String({ maxLength: 254 })),
    contact_phone: Type.Optional(Type.String({ maxLength: 40 })),
    website: Type.Optional(Type.String({ maxLength: 300 })),
    modules: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 10 })),
  },
  { additionalProperties: false },
);

export function mediaUrl(id: string | null): string | null {
  return id ? `/media/${id}` : null;
}

export function presentPlace(place: Place, baseUrl: string) {
  return {
    id: place.id,
    slug: place.slug,
    name: place.name,
    description: place.description,
    address: { street: place.street, postalCode: place.postalCode, city: place.city, country: place.country },
    geo:
      place.latitude !== null && place.longitude !== null
        ? { latitude: place.latitude, longitude: place.longitude }
        : null,
    timezone: place.timezone,
    language: place.language,
    contact: { email: place.contactEmail, phone: place.contactPhone, website: place.website },
    logoUrl: place.logoMediaId ? baseUrl + mediaUrl(place.logoMediaId) : null,
    coverUrl: place.coverMediaId ? baseUrl + mediaUrl(place.coverMediaId) : null,
    modules: place.modules,
    url: `${baseUrl}/venues/${place.slug}`,
  };
}

function placeFormValues(place: Place): Record<string, unknown> {
  return {
    name: place.name,
    description: place.description,
    street: place.street,
    postal_code: place.postalCode,
    city: place.city,
    country: place.country,
    latitude: place.latitude ?? '',
    longitude: place.longitude ?? '',
    timezone: place.timezone,
    language: place.language,
    contact_email: place.contactEmail,
    contact_phone: place.contactPhone,
    website: place.website,
    modules: place.modules,
  };
}

/** Forms send one checkbox value as a string and several as an array; none means an empty list. */
function formModules(body: Record<string, unknown>): unknown[] {
  const m = body.modules;
  return m === undefined ? [] : Array.isArray(m) ? m : [m];
}

/** The home of the territory, venue pages, venue creation and settings, images, and the venues API. */
/** How to reach the venue's team, when it says: e-mail, phone, website. */
function contactFacts(request: FastifyRequest, place: Place): Html | '' {
  const { t } = request.ctx;
  if (!place.contactEmail && !place.contactPhone && !place.website) return '';
  return html`<section aria-labelledby="contact-heading">
<h2 id="contact-heading">${t('places.contact')}</h2>
<dl class="facts">
${place.contactEmail ? html`<dt>${t('labels.contact_email')}</dt><dd><a href="mailto:${place.contactEmail}">${place.contactEmail}</a></dd>` : ''}
${place.contactPhone ? html`<dt>${t('labels.contact_phone')}</dt><dd><a href="tel:${place.contactPhone.replace(/\s/g, '')}">${place.contactPhone}</a></dd>` : ''}
${place.website ? html`<dt>${t('labels.website')}</dt><dd><a href="${place.website}" rel="noopener">${place.website}</a></dd>` : ''}
</dl>
</section>`;
}

export async function placeRoutes(app: ModuleApp, { deps, info, sections }: ModuleOptions) {
  const { config, db } = deps;
  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: Html,
    status = 200,
    description?: string,
  ) => sendHtml(reply, layout(request, info, { title, body, ...(description ? { description } : {}) }), status);

  function placeFields(request: FastifyRequest, form: FormState): Html {
    const { t } = request.ctx;
    const modules = (form.values.modules as string[] | undefined) ?? [];
    return html`${input(request, form, 'name', { required: true })}
${textarea(request, form, 'description', { rows: 6 })}
<fieldset><legend>${t('places.address')}</legend>
${input(request, form, 'street', { attrs: html` autocomplete="street-address"` })}
<div class="row">${input(request, form, 'postal_code', { attrs: html` autocomplete="postal-code"` })}${input(request, form, 'city')}</div>
${input(request, form, 'country', { hint: t('places.countryHint'), attrs: html` maxlength="2"` })}
<div class="row">${input(request, form, 'latitude', { attrs: html` inputmode="decimal"` })}${input(request, form, 'longitude', { attrs: html` inputmode="decimal"` })}</div>
</fieldset>
${input(request, form, 'timezone', { hint: t('places.timezoneHint') })}
${select(request, form, 'language', [
  { value: 'fr', label: 'Français' },
  { value: 'en', label: 'English' },
])}
<fieldset><legend>${t('places.contact')}</legend>
${input(request, form, 'contact_email', { type: 'email' })}
${input(request, form, 'contact_phone', { type: 'tel' })}
${input(request, form, 'website', { type: 'url' })}
</fieldset>
<fieldset><legend>${t('labels.modules')}</legend>
${PLACE_MODULES.map(
  (m) =>
    html`<label class="check"><input type="checkbox" name="modules" value="${m}"${modules.includes(m) ? html` checked` : ''}> ${t(`modules.${m}`)}</label>`,
)}
</fieldset>`;
  }

  app.get('/', async (request, reply) => {
    const { t } = request.ctx;
    const search = String((request.query as { q?: string }).q ?? '').slice(0, 100);
    const places = await listPlaces(db, { search });
    return page(
      request,
      reply,
      t('home.title'),
      html`<section>
<h1>${t('home.heading', { territory: config.territoryName })}</h1>
<p class="lead">${t('home.intro')}</p>
<form method="get" action="/" role="search" class="inline-form"><label for="q">${t('home.search')}</label> <input id="q" name="q" type="search" value="${search}"> <button type="submit">${t('home.searchButton')}</button></form>
${await renderSections(sections.home, (section) => section.render(request, db, config), '\n')}
<h2>${t('home.venues', { count: places.length })}</h2>
${places.length === 0 ? html`<p>${t('home.noVenues')}</p>` : ''}
<ul class="cards">${places.map(
        (p) => html`<li class="card">
${p.logoMediaId ? html`<img src="${mediaUrl(p.logoMediaId)}" alt="" width="64" height="64">` : ''}
<h3><a href="/venues/${p.slug}">${p.name}</a></h3>
<p>${p.city}</p>
</li>`,
      )}</ul>
<p><a class="button" href="/venues/new">${t('places.create')}</a></p>
</section>`,
    );
  });

  function newPlaceForm(request: FastifyRequest, form: FormState) {
    const { t } = request.ctx;
    return html`<section class="narrow">
<h1>${t('places.createTitle')}</h1>
<p>${t('places.createIntro')}</p>
${errorSummary(request, form)}
<form method="post" action="/venues/new" novalidate>
${csrfField(request)}
${input(request, form, 'slug', { required: true, hint: t('places.slugHint'), attrs: html` pattern="[a-z0-9]+(-[a-z0-9]+)*" maxlength="60"` })}
${placeFields(request, form)}
<button type="submit">${t('places.createSubmit')}</button>
</form>
</section>`;
  }

  app.get('/venues/new', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    return page(
      request,
      reply,
      request.ctx.t('places.createTitle'),
      newPlaceForm(
        request,
        emptyForm({ timezone: config.timeZone, country: 'FR', language: request.ctx.lang, modules: ['agenda'] }),
      ),
    );
  });

  app.post('/venues/new', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values: Record<string, unknown> = { ...body, modules: formModules(body) };
    if (!values.slug && typeof values.name === 'string') values.slug = slugify(values.name);
    return submitForm(reply, {
      run: () => createPlace(db, actorOf(request), values, undefined, config.timeZone),
      done: (place) => `/venues/${place.slug}/admin?created=1`,
      invalid: (errors) =>
        page(request, reply, request.ctx.t('places.createTitle'), newPlaceForm(request, { values, errors }), 422),
    });
  });

  app.get('/venues/:slug', async (request, reply) => {
    const { t } = request.ctx;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    const role = request.ctx.person ? await roleOf(db, request.ctx.person.id, place.id) : null;
    // Sections below 10 are calls to action ("Adhérer"), shown under the venue's name; the others
    // (next events, memberships, getting there) follow the description.
    const top = sections.venue.filter((s) => s.order < 10);
    const rest = sections.venue.filter((s) => s.order >= 10);
    const imgHosts = [...new Set(sections.venue.flatMap((s) => s.imgHosts ?? []))];
    if (imgHosts.length)
      reply.header('content-security-policy', contentSecurityPolicy(config, request.ctx.cspNonce, { imgHosts }));
    return page(
      request,
      reply,
      place.name,
      html`<article class="place">
${place.coverMediaId ? html`<img class="cover" src="${mediaUrl(place.coverMediaId)}" alt="">` : ''}
<header class="place-head">
${place.logoMediaId ? html`<img class="logo" src="${mediaUrl(place.logoMediaId)}" alt="${t('places.logoOf', { name: place.name })}" width="96" height="96">` : ''}
<h1>${place.name}</h1>
</header>
${await renderSections(top, (section) => section.render(request, db, place), '\n')}
${role === 'admin' || request.ctx.person?.isOperator ? html`<p><a class="button secondary" href="/venues/${place.slug}/admin/dashboard">${t('places.adminLink')}</a></p>` : ''}
${place.description ? html`<div class="description">${place.description.split(/\n{2,}/).map((p) => html`<p>${p}</p>`)}</div>` : ''}
${await renderSections(rest, (section) => section.render(request, db, place), '\n')}
${contactFacts(request, place)}
</article>`,
      200,
      place.description.slice(0, 200),
    );
  });

  // The venue's settings are its admins' (place.settings: the admin role, and operators).
  const adminPlace = venueFor(db, 'place.settings');

  function settingsPage(request: FastifyRequest, place: Place, form: FormState, notice?: string) {
    const { t } = request.ctx;
    return html`<section>
${adminNav(request, place, 'settings')}
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin" novalidate>
${csrfField(request)}
${placeFields(request, form)}
<button type="submit">${t('forms.save')}</button>
</form>
<h2>${t('places.images')}</h2>
<p class="hint">${t('places.imagesHint', { max: Math.round(config.uploadLimitBytes / 1024) })}</p>
${(['logo', 'cover'] as const).map(
  (
    kind,
  ) => html`<form method="post" action="/venues/${place.slug}/admin/images/${kind}" enctype="multipart/form-data" class="upload">
${csrfField(request)}
${(kind === 'logo' ? place.logoMediaId : place.coverMediaId) ? html`<img src="${mediaUrl(kind === 'logo' ? place.logoMediaId : place.coverMediaId)}" alt="" height="64">` : ''}
<div class="field"><label for="${kind}">${t(`labels.${kind}`)}</label>
<input id="${kind}" name="${kind}" type="file" accept="image/png,image/jpeg,image/webp,image/gif"${form.errors.some((e) => e.field === kind) ? html` aria-invalid="true" aria-describedby="${kind}-error"` : ''}>
${form.errors.filter((e) => e.field === kind).map((e) => html`<p class="error" id="${kind}-error">${t(`fields.${e.message}`, e.params)}</p>`)}</div>
<button type="submit">${t('places.upload')}</button>
</form>`,
)}
</section>`;
  }

  app.get('/venues/:slug/admin', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const created = (request.query as { created?: string }).created === '1';
    return page(
      request,
      reply,
      place.name,
      settingsPage(
        request,
        place,
        emptyForm(placeFormValues(place)),
        created ? request.ctx.t('places.created') : undefined,
      ),
    );
  });

  app.post('/venues/:slug/admin', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values: Record<string, unknown> = { ...body, modules: formModules(body) };
    delete values._csrf;
    return submitForm(reply, {
      run: () => updatePlace(db, actorOf(request), place.slug, values, config.timeZone),
      done: (updated) =>
        page(
          request,
          reply,
          updated.name,
          settingsPage(request, updated, emptyForm(placeFormValues(updated)), request.ctx.t('forms.saved')),
        ),
      invalid: (errors) => page(request, reply, place.name, settingsPage(request, place, { values, errors }), 422),
    });
  });

  function imageKind(request: FastifyRequest): PlaceImageKind {
    const kind = (request.params as { kind: string }).kind;
    if (kind !== 'logo' && kind !== 'cover') throw new DomainError('not-found', 404, { what: 'page' });
    return kind;
  }

  // The upload parser stops a file over the limit before the handler runs. Say so beside the file
  // field of the settings page, like any other refused image, rather than with a bare 413 page.
  async function uploadTooLarge(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (error.code !== 'FST_REQ_FILE_TOO_LARGE') throw error;
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const errors = [
      {
        field: imageKind(request),
        message: 'file-too-large',
        params: { max: Math.round(config.uploadLimitBytes / 1024) },
      },
    ];
    return page(
      request,
      reply,
      place.name,
      settingsPage(request, place, { values: placeFormValues(place), errors }),
      422,
    );
  }

  app.post('/venues/:slug/admin/images/:kind', { errorHandler: uploadTooLarge }, async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const kind = imageKind(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const file = body[kind];
    const bytes = file instanceof Uint8Array ? file : new Uint8Array();
    return submitForm(reply, {
      run: () =>
        uploadPlaceImage(db, actorOf(request), { slug: place.slug, kind, bytes, maxBytes: config.uploadLimitBytes }),
      done: () => `/venues/${place.slug}/admin`,
      invalid: (errors) =>
        page(request, reply, place.name, settingsPage(request, place, { values: placeFormValues(place), errors }), 422),
    });
  });

  app.get('/media/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!isUuid(id)) throw new DomainError('not-found', 404, { what: 'media' });
    const media = await findMedia(db, id);
    if (!media) throw new DomainError('not-found', 404, { what: 'media' });
    // Media ids are never reused (a new upload gets a new id), so the bytes can be cached for good.
    return reply
      .type(media.content_type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', `"${media.sha256}"`)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .send(Buffer.from(media.bytes));
  });

  // --- JSON API ---------------------------------------------------------------------------------

  app.get(
    '/api/v1/venues',
    {
      schema: {
        tags: ['venues'],
        summary: 'Venues of the node',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: responses({ 200: Type.Object({ items: Type.Array(PlaceSchema) }) }, [422]),
      },
    },
    async (request) => {
      const places = await listPlaces(db, { search: request.query.q, limit: request.query.limit });
      return { items: places.map((p) => presentPlace(p, config.baseUrl)) };
    },
  );

  app.get(
    '/api/v1/venues/:slug',
    {
      schema: {
        tags: ['venues'],
        summary: 'One venue',
        params: SlugParams,
        response: responses({ 200: PlaceSchema }, [404]),
      },
    },
    async (request) => presentPlace(await getPlaceBySlug(db, request.params.slug), config.baseUrl),
  );

  app.post(
    '/api/v1/venues',
    {
      schema: {
        tags: ['venues'],
        summary: 'Create a venue (the logged-in person becomes its admin)',
        security: [{ session: [] }],
        body: Type.Object(
          { ...PlaceBody.properties, slug: Type.String({ maxLength: 60 }), name: Type.String({ maxLength: 120 }) },
          { additionalProperties: false },
        ),
        response: responses({ 201: PlaceSchema }),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (actor.kind !== 'person') throw forbidden();
      const place = await createPlace(db, actor, request.body as Record<string, unknown>, undefined, config.timeZone);
      return reply
        .status(201)
        .header('location', `/api/v1/venues/${place.slug}`)
        .send(presentPlace(place, config.baseUrl));
    },
  );

  app.patch(
    '/api/v1/venues/:slug',
    {
      schema: {
        tags: ['venues'],
        summary: "Change a venue's settings",
        description: 'Venue admins, or an API key with the `place:write` scope.',
        security: [{ apiKey: [] }, { session: [] }],
        params: SlugParams,
        body: PlaceBody,
        response: responses({ 200: PlaceSchema }),
      },
    },
    async (request) =>
      presentPlace(
        await updatePlace(
          db,
          actorOf(request),
          request.params.slug,
          request.body as Record<string, unknown>,
          config.timeZone,
        ),
        config.baseUrl,
      ),
  );
}
