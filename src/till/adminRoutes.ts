import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { Type } from 'typebox';
import type { Db } from '../db/database.ts';
import type { ModuleApp, ModuleOptions } from '../http/app.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { csrfField, emptyForm, errorSummary, input, select, type FormState } from '../http/forms.ts';
import { escapeHtml, html, unsafeRaw, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { DateTime, Uuid, responses } from '../http/schemas.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { formatEuros, MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { isUuid } from '../shared/ids.ts';
import { findPlaceById, getPlaceBySlug, type Place } from '../places/places.ts';
import { createPairingCode, type PairingCode } from './createPairingCode.ts';
import { deleteCategory } from './deleteCategory.ts';
import { DEVICE_KINDS, devicesOf, pendingPairingsOf, type Device, type DeviceKind } from './devices.ts';
import { pairDevice } from './pairDevice.ts';
import { posSetupOf, type PosArticle, type PosCategory, type PosSetup } from './posSetup.ts';
import { renameDevice } from './renameDevice.ts';
import { revokeDevice } from './revokeDevice.ts';
import { saveArticle } from './saveArticle.ts';
import { saveCategory } from './saveCategory.ts';
import { savePoint } from './savePoint.ts';
import { saveTillSettings } from './saveTillSettings.ts';
import { limitsFromForm, saveTopUpLimits } from './saveTopUpLimits.ts';
import { setPointArticles } from './setPointArticles.ts';
import { ARTICLE_KINDS, PAYMENT_METHODS } from './tables.ts';
import { decimalSeparator, localeOf, type Language } from '../i18n/i18n.ts';

/** Pairing attempts per client address (in this process): a code is 40 bits, this makes guessing hopeless. */
export const PAIR_RATE_LIMIT = { max: 20, timeWindow: '10 minutes' } as const;

/**
 * The address a device opens to pair: a till's /till, a scanner's the door page (/door: no login,
 * never a till). The code travels in the fragment, never sent to a server or logged.
 */
export const pairingUrl = (baseUrl: string, code: string, kind: DeviceKind = 'till') =>
  `${baseUrl}/${kind === 'scanner' ? 'door' : 'till'}#pair=${code}`;

// ---------- JSON shapes ----------
const DeviceSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: Type.Union([Type.Literal('till'), Type.Literal('scanner')]),
  createdAt: DateTime,
  revokedAt: Type.Union([DateTime, Type.Null()]),
  lastSeenAt: Type.Union([DateTime, Type.Null()]),
});
const PaymentMethodSchema = Type.Union(PAYMENT_METHODS.map((m) => Type.Literal(m)));
const ArticleKindSchema = Type.Union(ARTICLE_KINDS.map((k) => Type.Literal(k)));
const PointSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  paymentMethods: Type.Array(PaymentMethodSchema),
  position: Type.Integer(),
  archived: Type.Boolean(),
  articleIds: Type.Array(Uuid, { description: 'The articles this point shows, in order.' }),
});
const CategorySchema = Type.Object({ id: Uuid, name: Type.String(), colour: Type.String(), position: Type.Integer() });
const ArticleSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: ArticleKindSchema,
  categoryId: Type.Union([Uuid, Type.Null()]),
  priceCents: Type.Union([Type.Integer(), Type.Null()], { description: 'Cents; null = the cashier types the amount.' }),
  vatRate: Type.Integer({ description: 'Basis points: 850 = 8.5 %.' }),
  colour: Type.String(),
  currencyId: Type.Union([Uuid, Type.Null()]),
  membershipProductId: Type.Union([Uuid, Type.Null()]),
  position: Type.Integer(),
  archived: Type.Boolean(),
});
const CreditableSchema = Type.Object({ id: Uuid, code: Type.String(), name: Type.String(), kind: Type.String() });
const LimitCents = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR, description: 'Cents' });
const TopUpLimitsSchema = Type.Object({
  currencyId: Uuid,
  code: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  lineMaxCents: Type.Integer({ description: 'One top-up or gift line' }),
  saleMaxCents: Type.Integer({ description: 'Minted of this currency in one sale' }),
  cardDayMaxCents: Type.Integer({ description: 'Minted onto one card at this venue in a business day' }),
  dayMaxCents: Type.Integer({ description: 'Minted by the venue in a business day' }),
  custom: Type.Boolean({ description: 'False while the defaults apply' }),
});
const SetupSchema = Type.Object({
  dayStartsAt: Type.String({ description: "Local time 'HH:MM' at which the business day starts." }),
  points: Type.Array(PointSchema),
  categories: Type.Array(CategorySchema),
  articles: Type.Array(ArticleSchema),
  topUpCurrencies: Type.Array(CreditableSchema),
  giftCurrencies: Type.Array(CreditableSchema),
  topUpLimits: Type.Array(TopUpLimitsSchema, {
    description: 'Every currency the venue credits at its counter, with its top-up limits in force',
  }),
  membershipProducts: Type.Array(Type.Object({ id: Uuid, name: Type.String(), active: Type.Boolean() })),
});
const Name = Type.String({ maxLength: 200 });
const Colour = Type.String({ maxLength: 7, description: '#rrggbb' });
const Position = Type.Integer({ minimum: 0, maximum: 100_000 });
const PointBody = {
  name: Name,
  paymentMethods: Type.Array(Type.String({ maxLength: 20 }), { maxItems: 3 }),
  position: Position,
  archived: Type.Boolean(),
};
const ArticleBody = {
  name: Name,
  kind: Type.String({ maxLength: 20 }),
  categoryId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  priceCents: Type.Union([Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR }), Type.Null()], {
    description: 'Cents; null = the cashier types the amount (top-up, cash-out, open price).',
  }),
  vatRate: Type.Integer({ description: 'Basis points: 850 = 8.5 %, 210 = 2.1 %.' }),
  colour: Colour,
  currencyId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  membershipProductId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  position: Position,
  archived: Type.Boolean(),
};
const CategoryBody = { name: Name, colour: Colour, position: Position };
const PlaceParams = Type.Object({ placeId: Uuid });
const security: Record<string, string[]>[] = [{ apiKey: [] }, { session: [] }];
const tags = ['points of sale'];

const presentDevice = (d: Device) => ({
  ...d,
  createdAt: d.createdAt.toISOString(),
  revokedAt: d.revokedAt?.toISOString() ?? null,
  lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
});

/** Checks the place exists and the actor may set it up (place.settings). */
async function settingsPlace(db: Db, request: FastifyRequest, placeId: string): Promise<void> {
  const place = await findPlaceById(db, placeId);
  if (!place) throw notFound('place');
  await authorize(db, actorOf(request), placeId, 'place.settings');
}

/** Percent for people: 850 → "8,5" (fr) or "8.5" (en). */
function percent(bp: number, lang: Language): string {
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  if (rest === 0) return String(whole);
  const decimals = rest % 10 === 0 ? String(rest / 10) : String(rest).padStart(2, '0');
  return `${whole}${decimalSeparator(lang)}${decimals}`;
}

/** Cents for a form field: 350 → "3,50" (fr) or "3.50" (en). */
function eurosField(cents: number, lang: Language): string {
  return `${Math.trunc(cents / 100)}${decimalSeparator(lang)}${String(cents % 100).padStart(2, '0')}`;
}

// An SVG whose fill is the colour: a presentation attribute, which the pages' Content-Security-Policy
// allows (a style attribute it does not).
const swatch = (colour: string): Html =>
  html`<svg class="swatch" aria-hidden="true" viewBox="0 0 10 10" width="18" height="18"><rect width="10" height="10" rx="2" fill="${colour}" stroke="#0003"/></svg>`;

/** Devices and points of sale of a venue, for its admin: pages and JSON API; and device pairing. */
export async function tillAdminRoutes(app: ModuleApp, { deps, info }: ModuleOptions): Promise<void> {
  const { db, config } = deps;

  async function adminPlace(request: FastifyRequest, reply: FastifyReply): Promise<Place | null> {
    if (!personOrLogin(request, reply)) return null;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    await authorize(db, actorOf(request), place.id, 'place.settings');
    return place;
  }

  const formBody = (request: FastifyRequest) => ({ ...((request.body ?? {}) as Record<string, unknown>) });
  const fieldErrorsOf = (error: unknown) =>
    error instanceof DomainError && error.fields.length > 0 ? error.fields : null;

  function heading(request: FastifyRequest, place: Place, current: 'devices' | 'setup', title: string): Html {
    const { t } = request.ctx;
    const tab = (id: 'devices' | 'setup', href: string, label: string) =>
      html`<li><a href="${href}"${id === current ? html` aria-current="page"` : ''}>${label}</a></li>`;
    return html`<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a> › <a href="/venues/${place.slug}/admin">${t('pos.admin')}</a></p>
<h1>${title}</h1>
<nav class="tabs" aria-label="${t('pos.tabsLabel')}"><ul>
${tab('devices', `/venues/${place.slug}/admin/devices`, t('devices.title'))}
${tab('setup', `/venues/${place.slug}/admin/till/setup`, t('pos.title'))}
</ul></nav>`;
  }

  // ================= Devices =================
  interface DevicesState {
    pair?: FormState;
    created?: PairingCode;
    rename?: { deviceId: string; form: FormState };
  }

  async function devicesPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    state: DevicesState = {},
    status = 200,
  ) {
    const { t, lang } = request.ctx;
    const [devices, pending] = [await devicesOf(db, place.id), await pendingPairingsOf(db, place.id)];
    const when = (d: Date | null) =>
      d
        ? d.toLocaleString(localeOf(lang), {
            timeZone: place.timezone,
            dateStyle: 'short',
            timeStyle: 'short',
          })
        : '—';
    const form = state.pair ?? emptyForm({ kind: 'till' });
    let createdBlock: Html | '' = '';
    if (state.created) {
      const url = pairingUrl(config.baseUrl, state.created.code, state.created.kind);
      // The QR is drawn by the qrcode library from our own URL: markup we generate, not user input.
      const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      createdBlock = html`<div class="notice" role="status" id="pairing">
<h2>${t(`devices.codeFor.${state.created.kind}`, { name: state.created.name })}</h2>
<p class="mono" id="pairing-code" aria-label="${t('devices.codeSpelled', { code: state.created.code.split('').join(' ') })}">${state.created.code}</p>
<p>${t('devices.codeHelp', { time: when(state.created.expiresAt) })}</p>
<figure class="qr qr-small">${unsafeRaw(svg.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(t('devices.qr'))}" width="240" height="240" `))}<figcaption class="mono">${url}</figcaption></figure>
<p><strong>${t('devices.onlyOnce')}</strong></p></div>`;
    }
    const body = html`<section>
${heading(request, place, 'devices', t('devices.title'))}
<p><a href="/venues/${place.slug}/scan">${t('door.openScanner')}</a></p>
${createdBlock}
<p>${t('devices.intro')}</p>
<div class="table-scroll"><table class="list">
<caption>${t('devices.count', { count: devices.length })}</caption>
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.kind')}</th><th scope="col">${t('devices.pairedAt')}</th><th scope="col">${t('devices.lastSeen')}</th><th scope="col">${t('devices.state')}</th><th scope="col"><span class="visually-hidden">${t('devices.actions')}</span></th></tr></thead>
<tbody>${devices.map((d) => {
      const renaming = state.rename?.deviceId === d.id ? state.rename.form : null;
      const invalid = renaming !== null && renaming.errors.length > 0;
      return html`<tr><td>${d.name}</td><td>${t(`devices.kind.${d.kind}`)}</td><td>${when(d.createdAt)}</td><td>${when(d.lastSeenAt)}</td>
<td>${d.revokedAt ? html`<strong>${t('devices.revokedOn', { time: when(d.revokedAt) })}</strong>` : t('devices.active')}</td>
<td>${
        d.revokedAt
          ? ''
          : html`<form method="post" action="/venues/${place.slug}/admin/devices/${d.id}/rename" class="inline-form" novalidate>${csrfField(request)}
<label for="name-${d.id}" class="visually-hidden">${t('devices.newName', { name: d.name })}</label>
<input id="name-${d.id}" name="name" value="${renaming ? String(renaming.values.name ?? '') : d.name}" maxlength="80" required${invalid ? html` aria-invalid="true" aria-describedby="name-${d.id}-error"` : ''}>
<button type="submit">${t('devices.rename')}</button>
${invalid ? html`<p class="error" id="name-${d.id}-error">${renaming.errors.map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</form>
<form method="post" action="/venues/${place.slug}/admin/devices/${d.id}/revoke" class="inline">${csrfField(request)}<button type="submit" class="danger">${t('devices.revoke')}</button></form>`
      }</td></tr>`;
    })}</tbody></table></div>
${
  pending.length
    ? html`<h2>${t('devices.pending')}</h2><ul>${pending.map((p) => html`<li>${p.name} (${t(`devices.kind.${p.kind}`)}) — ${t('devices.validUntil', { time: when(p.expiresAt) })}</li>`)}</ul>`
    : ''
}
<h2>${t('devices.pair')}</h2>
<p class="hint">${t('devices.pairHint')}</p>
${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/devices/pairings" novalidate>${csrfField(request)}
<div class="row">${input(request, form, 'name', { required: true, hint: t('devices.nameHint'), attrs: html` maxlength="80"` })}
${select(
  request,
  form,
  'kind',
  DEVICE_KINDS.map((k) => ({ value: k, label: t(`devices.kind.${k}`) })),
)}</div>
<button type="submit">${t('devices.showCode')}</button></form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('devices.title'), body }), status);
  }

  app.get('/places/:slug/devices', async (request, reply) =>
    reply.redirect(`/venues/${encodeURIComponent((request.params as { slug: string }).slug)}/admin/devices`, 301),
  );
  app.get('/places/:slug/till/setup', async (request, reply) =>
    reply.redirect(`/venues/${encodeURIComponent((request.params as { slug: string }).slug)}/admin/till/setup`, 301),
  );

  app.get('/venues/:slug/admin/devices', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? devicesPage(request, reply, place) : reply;
  });

  app.post('/venues/:slug/admin/devices/pairings', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    try {
      const created = await createPairingCode(db, actorOf(request), {
        placeId: place.id,
        kind: body.kind,
        name: body.name,
      });
      return devicesPage(request, reply, place, { created }, 201);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return devicesPage(request, reply, place, { pair: { values: body, errors: fields } }, 422);
    }
  });

  app.post('/venues/:slug/admin/devices/:deviceId/rename', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { deviceId } = request.params as { deviceId: string };
    const body = formBody(request);
    try {
      await renameDevice(db, actorOf(request), { placeId: place.id, deviceId, name: body.name });
      return reply.redirect(`/venues/${place.slug}/admin/devices`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return devicesPage(request, reply, place, { rename: { deviceId, form: { values: body, errors: fields } } }, 422);
    }
  });

  app.post('/venues/:slug/admin/devices/:deviceId/revoke', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    await revokeDevice(db, actorOf(request), {
      placeId: place.id,
      deviceId: (request.params as { deviceId: string }).deviceId,
    });
    return reply.redirect(`/venues/${place.slug}/admin/devices`, 303);
  });

  // ---- Devices API ----
  app.post(
    '/api/v1/devices/pair',
    {
      config: { csrf: false, rateLimit: PAIR_RATE_LIMIT },
      schema: {
        tags,
        summary: 'Pair a till or scanner with a one-time code',
        description:
          'Not signed and not authenticated: the code shown on the venue admin page is the secret (10 minutes, used once). ' +
          'The device sends the public half of the Ed25519 key it generated; every later request is signed with the private half. ' +
          `Unknown, used or expired code → 404 device-pairing-code. At most ${PAIR_RATE_LIMIT.max} attempts per client address per ${PAIR_RATE_LIMIT.timeWindow}.`,
        body: Type.Object(
          {
            code: Type.String({
              maxLength: 40,
              description: 'As shown: "ABCD-EFGH" (case, spaces and dashes do not matter).',
            }),
            publicKey: Type.String({ maxLength: 400, description: 'Ed25519 public key, SPKI DER, base64.' }),
          },
          { additionalProperties: false },
        ),
        response: responses(
          {
            201: Type.Object({
              placeId: Uuid,
              deviceId: Uuid,
              kind: Type.Union([Type.Literal('till'), Type.Literal('scanner')]),
              name: Type.String(),
              place: Type.Object({ name: Type.String(), slug: Type.String() }),
            }),
          },
          [400, 404, 422, 429],
        ),
      },
    },
    async (request, reply) => reply.status(201).send(await pairDevice(db, request.body)),
  );

  app.get(
    '/api/v1/places/:placeId/devices',
    {
      schema: {
        tags,
        summary: "A venue's tills and scanners (revoked ones included)",
        security,
        params: PlaceParams,
        response: responses({ 200: Type.Object({ devices: Type.Array(DeviceSchema) }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return { devices: (await devicesOf(db, request.params.placeId)).map(presentDevice) };
    },
  );

  app.post(
    '/api/v1/places/:placeId/devices/pairings',
    {
      schema: {
        tags,
        summary: 'Make a one-time pairing code (valid 10 minutes); the code is in this answer only',
        security,
        params: PlaceParams,
        body: Type.Object({ kind: Type.String({ maxLength: 20 }), name: Name }, { additionalProperties: false }),
        response: responses({
          201: Type.Object({
            code: Type.String(),
            kind: Type.String(),
            name: Type.String(),
            expiresAt: DateTime,
            url: Type.String({ description: 'What the QR code holds: the till page with the code in its fragment.' }),
          }),
        }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      const p = await createPairingCode(db, actorOf(request), { placeId: request.params.placeId, ...request.body });
      return reply
        .status(201)
        .send({ ...p, expiresAt: p.expiresAt.toISOString(), url: pairingUrl(config.baseUrl, p.code, p.kind) });
    },
  );

  app.patch(
    '/api/v1/places/:placeId/devices/:deviceId',
    {
      schema: {
        tags,
        summary: 'Rename a device',
        security,
        params: Type.Object({ placeId: Uuid, deviceId: Uuid }),
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ id: Uuid, name: Type.String() }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return renameDevice(db, actorOf(request), { ...request.params, name: request.body.name });
    },
  );

  app.post(
    '/api/v1/places/:placeId/devices/:deviceId/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke a device: its signed requests are refused from now on',
        security,
        params: Type.Object({ placeId: Uuid, deviceId: Uuid }),
        response: responses({ 200: Type.Object({ id: Uuid, revokedAt: DateTime }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      const r = await revokeDevice(db, actorOf(request), request.params);
      return { id: r.id, revokedAt: r.revokedAt.toISOString() };
    },
  );

  // ================= Points of sale setup =================
  interface SetupState {
    settings?: FormState;
    notice?: string;
  }

  const kindLabel = (request: FastifyRequest, kind: string) => request.ctx.t(`pos.kind.${kind}`);
  const priceText = (request: FastifyRequest, a: PosArticle) =>
    a.priceCents === null ? request.ctx.t('pos.openPrice') : formatEuros(a.priceCents, request.ctx.lang);

  function articleForm(
    request: FastifyRequest,
    setup: PosSetup,
    form: FormState,
    action: string,
    submit: string,
  ): Html {
    const { t } = request.ctx;
    const currencies = [
      ...setup.topUpCurrencies.map((c) => ({ value: c.id, label: `${c.code} — ${c.name} (${t('pos.kind.top_up')})` })),
      ...setup.giftCurrencies.map((c) => ({
        value: c.id,
        label: `${c.code} — ${c.name} (${t('pos.kind.gift_top_up')})`,
      })),
    ];
    return html`${errorSummary(request, form)}
<form method="post" action="${action}" novalidate>${csrfField(request)}
<div class="row">${input(request, form, 'name', { required: true, attrs: html` maxlength="80"` })}
${select(
  request,
  form,
  'kind',
  ARTICLE_KINDS.map((k) => ({ value: k, label: kindLabel(request, k) })),
)}
${select(request, form, 'categoryId', [{ value: '', label: t('pos.noCategory') }, ...setup.categories.map((c) => ({ value: c.id, label: c.name }))])}</div>
<div class="row">${input(request, form, 'price', { hint: t('pos.priceHint'), attrs: html` inputmode="decimal"` })}
<div class="field"><label class="check"><input type="checkbox" name="openPrice" value="on"${form.values.openPrice ? html` checked` : ''}> ${t('pos.openPriceLabel')}</label></div>
${input(request, form, 'vatRate', { hint: t('pos.vatHint'), attrs: html` inputmode="decimal"` })}
${input(request, form, 'colour', { type: 'color' })}</div>
<div class="row">${select(request, form, 'currencyId', [{ value: '', label: t('pos.none') }, ...currencies])}
${select(request, form, 'membershipProductId', [{ value: '', label: t('pos.none') }, ...setup.membershipProducts.map((p) => ({ value: p.id, label: p.name }))])}
${input(request, form, 'position', { attrs: html` inputmode="numeric"` })}</div>
<p class="hint">${t('pos.articleHint')}</p>
<button type="submit">${submit}</button></form>`;
  }

  async function setupPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    state: SetupState = {},
    status = 200,
  ) {
    const { t } = request.ctx;
    const setup = await posSetupOf(db, place.id);
    const base = `/venues/${place.slug}/admin/till/setup`;
    const settingsForm = state.settings ?? emptyForm({ dayStartsAt: setup.dayStartsAt });
    const categoryName = new Map(setup.categories.map((c) => [c.id, c] as const));
    const eur = (cents: number) => formatEuros(cents, request.ctx.lang);
    const body = html`<section>
${heading(request, place, 'setup', t('pos.title'))}
${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ''}
<p>${t('pos.intro')}</p>

<h2 id="points-title">${t('pos.points')}</h2>
<div class="table-scroll"><table class="list" aria-labelledby="points-title">
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.paymentMethods')}</th><th scope="col">${t('pos.articlesShown')}</th><th scope="col">${t('devices.state')}</th></tr></thead>
<tbody>${setup.points.map(
      (p) =>
        html`<tr><td><a href="${base}/points/${p.id}">${p.name}</a></td><td>${p.paymentMethods.map((m) => t(`pos.method.${m}`)).join(', ')}</td><td>${p.articleIds.length}</td><td>${p.archived ? t('pos.archived') : t('devices.active')}</td></tr>`,
    )}</tbody></table></div>
<p><a class="button" href="${base}/points/new">${t('pos.newPoint')}</a></p>

<h2 id="categories-title">${t('pos.categories')}</h2>
<div class="table-scroll"><table class="list" aria-labelledby="categories-title">
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.colour')}</th></tr></thead>
<tbody>${setup.categories.map((c) => html`<tr><td><a href="${base}/categories/${c.id}">${c.name}</a></td><td>${swatch(c.colour)} <span class="mono">${c.colour}</span></td></tr>`)}</tbody></table></div>
<p><a class="button" href="${base}/categories/new">${t('pos.newCategory')}</a></p>

<h2 id="articles-title">${t('pos.articles')}</h2>
<div class="table-scroll"><table class="list" aria-labelledby="articles-title">
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.kind')}</th><th scope="col">${t('labels.categoryId')}</th><th scope="col">${t('pos.price')}</th><th scope="col">${t('pos.vat')}</th><th scope="col">${t('devices.state')}</th></tr></thead>
<tbody>${setup.articles.map((a) => {
      const c = a.categoryId ? categoryName.get(a.categoryId) : undefined;
      return html`<tr><td>${swatch(a.colour)} <a href="${base}/articles/${a.id}">${a.name}</a></td><td>${kindLabel(request, a.kind)}</td><td>${c ? c.name : '—'}</td><td>${priceText(request, a)}</td><td>${percent(a.vatRate, request.ctx.lang)} %</td><td>${a.archived ? t('pos.archived') : t('devices.active')}</td></tr>`;
    })}</tbody></table></div>
<p><a class="button" href="${base}/articles/new">${t('pos.newArticle')}</a></p>

<h2>${t('pos.settings')}</h2>
${errorSummary(request, settingsForm)}
<form method="post" action="${base}/settings" novalidate>${csrfField(request)}
${input(request, settingsForm, 'dayStartsAt', { type: 'time', hint: t('pos.dayStartsAtHint') })}
<button type="submit">${t('pos.save')}</button></form>

<h2 id="limits-title">${t('pos.limits')}</h2>
<p>${t('pos.limitsIntro')}</p>
<div class="table-scroll"><table class="list" aria-labelledby="limits-title">
<thead><tr><th scope="col">${t('pos.limitsCurrency')}</th><th scope="col">${t('labels.lineMax')}</th><th scope="col">${t('labels.saleMax')}</th><th scope="col">${t('labels.cardDayMax')}</th><th scope="col">${t('labels.dayMax')}</th><th scope="col">${t('devices.state')}</th></tr></thead>
<tbody>${setup.topUpLimits.map(
      (l) =>
        html`<tr><td><a href="${base}/limits/${l.currencyId}">${l.code} — ${l.name}</a></td><td>${eur(l.lineMaxCents)}</td><td>${eur(l.saleMaxCents)}</td><td>${eur(l.cardDayMaxCents)}</td><td>${eur(l.dayMaxCents)}</td><td>${l.custom ? t('pos.limitsCustom') : t('pos.limitsDefault')}</td></tr>`,
    )}</tbody></table></div>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('pos.title'), body }), status);
  }

  /** A page with one form (new point, new category, new article): one form per page keeps ids unique. */
  function formPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    title: string,
    content: Html,
    status = 200,
    notice?: string,
  ) {
    const { t } = request.ctx;
    const body = html`<section>
${heading(request, place, 'setup', title)}
<p><a href="/venues/${place.slug}/admin/till/setup">← ${t('pos.back')}</a></p>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${content}
</section>`;
    return sendHtml(reply, layout(request, info, { title, body }), status);
  }

  function newPointPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form = emptyForm({ paymentMethods: ['card', 'cash', 'bank_card'] }),
    status = 200,
  ) {
    const { t } = request.ctx;
    const methods = (form.values.paymentMethods as string[] | string | undefined) ?? [];
    return formPage(
      request,
      reply,
      place,
      t('pos.newPoint'),
      html`${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/till/setup/points" novalidate>${csrfField(request)}
${input(request, form, 'name', { required: true, hint: t('pos.pointNameHint'), attrs: html` maxlength="80"` })}
${methodsFieldset(
  request,
  methods,
  form.errors.some((e) => e.field === 'paymentMethods'),
  form,
)}
<button type="submit">${t('pos.createPoint')}</button></form>`,
      status,
    );
  }

  function newCategoryPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form = emptyForm({ colour: '#455a64' }),
    status = 200,
  ) {
    const { t } = request.ctx;
    return formPage(
      request,
      reply,
      place,
      t('pos.newCategory'),
      html`${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/till/setup/categories" novalidate>${csrfField(request)}
<div class="row">${input(request, form, 'name', { required: true, attrs: html` maxlength="80"` })}${input(request, form, 'colour', { type: 'color' })}</div>
<button type="submit">${t('pos.createCategory')}</button></form>`,
      status,
    );
  }

  async function newArticlePage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form?: FormState,
    status = 200,
    notice?: string,
  ) {
    const { t, lang } = request.ctx;
    const setup = await posSetupOf(db, place.id);
    const f = form ?? emptyForm({ kind: 'sale', vatRate: percent(850, lang), colour: '#37474f' });
    return formPage(
      request,
      reply,
      place,
      t('pos.newArticle'),
      articleForm(request, setup, f, `/venues/${place.slug}/admin/till/setup/articles`, t('pos.createArticle')),
      status,
      notice,
    );
  }

  function methodsFieldset(
    request: FastifyRequest,
    chosen: string[] | string,
    invalid: boolean,
    form: FormState,
  ): Html {
    const { t } = request.ctx;
    const list = Array.isArray(chosen) ? chosen : [chosen];
    return html`<fieldset id="paymentMethods"${invalid ? html` aria-describedby="paymentMethods-error"` : ''}><legend>${t('labels.paymentMethods')}</legend>
${PAYMENT_METHODS.map((m) => html`<label class="check"><input type="checkbox" name="paymentMethods" value="${m}"${list.includes(m) ? html` checked` : ''}> ${t(`pos.method.${m}`)}</label>`)}
${invalid ? html`<p class="error" id="paymentMethods-error">${form.errors.filter((e) => e.field === 'paymentMethods').map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}
</fieldset>`;
  }

  async function pointPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    pointId: string,
    state: { form?: FormState; articles?: FormState } = {},
    status = 200,
  ) {
    const { t } = request.ctx;
    const setup = await posSetupOf(db, place.id);
    const point = setup.points.find((p) => p.id === pointId);
    if (!point) throw notFound('point');
    const base = `/venues/${place.slug}/admin/till/setup`;
    const form =
      state.form ??
      emptyForm({ name: point.name, paymentMethods: point.paymentMethods, position: String(point.position) });
    const methods = (form.values.paymentMethods as string[] | string | undefined) ?? [];
    const methodsInvalid = form.errors.some((e) => e.field === 'paymentMethods');
    const shown = new Map(point.articleIds.map((id, i) => [id, i + 1] as const));
    // Shown articles first, in their order; then the others.
    const listed = setup.articles
      .filter((a) => !a.archived || shown.has(a.id))
      .sort((a, b) => (shown.get(a.id) ?? 1e9) - (shown.get(b.id) ?? 1e9));
    const articlesForm = state.articles ?? emptyForm();
    const body = html`<section>
${heading(request, place, 'setup', point.name)}
<p><a href="${base}">← ${t('pos.back')}</a></p>
${point.archived ? html`<p class="alert">${t('pos.pointArchived')}</p>` : ''}
<h2>${t('pos.editPoint')}</h2>
${errorSummary(request, form)}
<form method="post" action="${base}/points/${point.id}" novalidate>${csrfField(request)}
${input(request, form, 'name', { required: true, attrs: html` maxlength="80"` })}
${methodsFieldset(request, methods, methodsInvalid, form)}
${input(request, form, 'position', { hint: t('pos.positionHint'), attrs: html` inputmode="numeric"` })}
<button type="submit">${t('pos.save')}</button></form>
<form method="post" action="${base}/points/${point.id}/${point.archived ? 'restore' : 'archive'}">${csrfField(request)}<button type="submit"${point.archived ? '' : html` class="danger"`}>${point.archived ? t('pos.restore') : t('pos.archive')}</button></form>

<h2 id="shown-title">${t('pos.articlesShown')}</h2>
<p class="hint">${t('pos.articlesShownHint')}</p>
${articlesForm.errors.length ? html`<div class="alert" role="alert"><p>${articlesForm.errors.map((e) => t(`fields.${e.message}`, e.params))}</p></div>` : ''}
<form method="post" action="${base}/points/${point.id}/articles">${csrfField(request)}
<div class="table-scroll"><table class="list" aria-labelledby="shown-title">
<thead><tr><th scope="col">${t('pos.shown')}</th><th scope="col">${t('pos.order')}</th><th scope="col">${t('labels.kind')}</th><th scope="col">${t('pos.price')}</th></tr></thead>
<tbody>${listed.map(
      (
        a,
      ) => html`<tr><td><label class="check"><input type="checkbox" name="articleIds" value="${a.id}"${shown.has(a.id) ? html` checked` : ''}> ${swatch(a.colour)} ${a.name}${a.archived ? html` <small>(${t('pos.archived')})</small>` : ''}</label></td>
<td><label for="order-${a.id}" class="visually-hidden">${t('pos.orderOf', { name: a.name })}</label><input id="order-${a.id}" name="order.${a.id}" inputmode="numeric" size="4" value="${shown.get(a.id) ?? ''}"></td>
<td>${kindLabel(request, a.kind)}</td><td>${priceText(request, a)}</td></tr>`,
    )}</tbody></table></div>
<button type="submit">${t('pos.saveArticles')}</button></form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: point.name, body }), status);
  }

  async function categoryPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    category: PosCategory,
    form?: FormState,
    status = 200,
  ) {
    const { t } = request.ctx;
    const base = `/venues/${place.slug}/admin/till/setup`;
    const f = form ?? emptyForm({ name: category.name, colour: category.colour, position: String(category.position) });
    const body = html`<section>
${heading(request, place, 'setup', category.name)}
<p><a href="${base}">← ${t('pos.back')}</a></p>
${errorSummary(request, f)}
<form method="post" action="${base}/categories/${category.id}" novalidate>${csrfField(request)}
<div class="row">${input(request, f, 'name', { required: true, attrs: html` maxlength="80"` })}${input(request, f, 'colour', { type: 'color' })}${input(request, f, 'position', { attrs: html` inputmode="numeric"` })}</div>
<button type="submit">${t('pos.save')}</button></form>
<form method="post" action="${base}/categories/${category.id}/delete">${csrfField(request)}<button type="submit" class="danger">${t('pos.deleteCategory')}</button></form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: category.name, body }), status);
  }

  async function articlePage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    articleId: string,
    form?: FormState,
    status = 200,
  ) {
    const { t, lang } = request.ctx;
    const setup = await posSetupOf(db, place.id);
    const a = setup.articles.find((x) => x.id === articleId);
    if (!a) throw notFound('article');
    const base = `/venues/${place.slug}/admin/till/setup`;
    const f =
      form ??
      emptyForm({
        name: a.name,
        kind: a.kind,
        categoryId: a.categoryId ?? '',
        price: a.priceCents === null ? '' : eurosField(a.priceCents, lang),
        openPrice: a.priceCents === null,
        vatRate: percent(a.vatRate, lang),
        colour: a.colour,
        currencyId: a.currencyId ?? '',
        membershipProductId: a.membershipProductId ?? '',
        position: String(a.position),
      });
    const body = html`<section>
${heading(request, place, 'setup', a.name)}
<p><a href="${base}">← ${t('pos.back')}</a></p>
${a.archived ? html`<p class="alert">${t('pos.articleArchived')}</p>` : ''}
${articleForm(request, setup, f, `${base}/articles/${a.id}`, t('pos.save'))}
<form method="post" action="${base}/articles/${a.id}/${a.archived ? 'restore' : 'archive'}">${csrfField(request)}<button type="submit"${a.archived ? '' : html` class="danger"`}>${a.archived ? t('pos.restore') : t('pos.archive')}</button></form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: a.name, body }), status);
  }

  /** Form → article input: the selects and the checkbox as the use case reads them. */
  const articleFromForm = (b: Record<string, unknown>) => ({
    name: b.name,
    kind: b.kind,
    categoryId: b.categoryId ?? '',
    price: b.price ?? '',
    openPrice: b.openPrice ?? '',
    vatRate: b.vatRate ?? '',
    colour: b.colour,
    currencyId: b.currencyId ?? '',
    membershipProductId: b.membershipProductId ?? '',
    position: b.position,
  });

  app.get('/venues/:slug/admin/till/setup', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? setupPage(request, reply, place) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/settings', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    try {
      const s = await saveTillSettings(db, actorOf(request), { placeId: place.id, dayStartsAt: body.dayStartsAt });
      return setupPage(request, reply, place, { notice: request.ctx.t('pos.settingsSaved', { time: s.dayStartsAt }) });
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return setupPage(request, reply, place, { settings: { values: body, errors: fields } }, 422);
    }
  });

  const LIMIT_FIELDS = ['lineMax', 'saleMax', 'cardDayMax', 'dayMax'] as const;
  async function limitsPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    currencyId: string,
    form?: FormState,
    status = 200,
  ) {
    const { t } = request.ctx;
    const limits = (await posSetupOf(db, place.id)).topUpLimits.find((l) => l.currencyId === currencyId);
    if (!limits) throw notFound('currency');
    const values =
      form ??
      emptyForm(
        Object.fromEntries(
          LIMIT_FIELDS.map((f) => [f, eurosField(limits[`${f}Cents`], request.ctx.lang)] as const),
        ) as Record<string, unknown>,
      );
    return formPage(
      request,
      reply,
      place,
      t('pos.limitsOf', { currency: limits.code }),
      html`<p>${t('pos.limitsIntro')}</p>
${errorSummary(request, values)}
<form method="post" action="/venues/${place.slug}/admin/till/setup/limits/${currencyId}" novalidate>${csrfField(request)}
${LIMIT_FIELDS.map((f) => input(request, values, f, { hint: t(`pos.${f}Hint`), attrs: html` inputmode="decimal"` }))}
<button type="submit">${t('pos.save')}</button></form>`,
      status,
    );
  }

  app.get('/venues/:slug/admin/till/setup/limits/:currencyId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { currencyId } = request.params as { currencyId: string };
    if (!isUuid(currencyId)) throw notFound('currency');
    return limitsPage(request, reply, place, currencyId);
  });

  app.post('/venues/:slug/admin/till/setup/limits/:currencyId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { currencyId } = request.params as { currencyId: string };
    if (!isUuid(currencyId)) throw notFound('currency');
    const body = formBody(request);
    try {
      await saveTopUpLimits(db, actorOf(request), { placeId: place.id, currencyId, ...limitsFromForm(body) });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup#limits-title`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      // The use case names the fields in cents; the form shows them in euros.
      const errors = fields.map((f) => ({ ...f, field: f.field.replace(/Cents$/, '') }));
      return limitsPage(request, reply, place, currencyId, { values: body, errors }, 422);
    }
  });

  app.post('/venues/:slug/admin/till/setup/points', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    try {
      const p = await savePoint(db, actorOf(request), {
        placeId: place.id,
        name: body.name,
        paymentMethods: body.paymentMethods ?? [],
      });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup/points/${p.id}`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return newPointPage(request, reply, place, { values: body, errors: fields }, 422);
    }
  });

  app.get('/venues/:slug/admin/till/setup/points/new', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? newPointPage(request, reply, place) : reply;
  });

  app.get('/venues/:slug/admin/till/setup/points/:pointId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? pointPage(request, reply, place, (request.params as { pointId: string }).pointId) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/points/:pointId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { pointId } = request.params as { pointId: string };
    const body = formBody(request);
    try {
      await savePoint(db, actorOf(request), {
        placeId: place.id,
        pointId,
        name: body.name,
        paymentMethods: body.paymentMethods ?? [],
        position: body.position,
      });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup/points/${pointId}`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return pointPage(request, reply, place, pointId, { form: { values: body, errors: fields } }, 422);
    }
  });

  app.post('/venues/:slug/admin/till/setup/points/:pointId/:action', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { pointId, action } = request.params as { pointId: string; action: string };
    if (action === 'archive' || action === 'restore') {
      await savePoint(db, actorOf(request), { placeId: place.id, pointId, archived: action === 'archive' });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup/points/${pointId}`, 303);
    }
    if (action !== 'articles') throw notFound('page');
    const body = formBody(request);
    const checked =
      body.articleIds === undefined ? [] : Array.isArray(body.articleIds) ? body.articleIds : [body.articleIds];
    // Order: the numbers typed, then the order of the page for the rows left blank.
    const order = (id: unknown, i: number) => {
      const n = Number(String(body[`order.${String(id)}`] ?? '').trim());
      return String(body[`order.${String(id)}`] ?? '').trim() !== '' && Number.isFinite(n) ? n : 1e9 + i;
    };
    const articleIds = checked
      .map((id, i) => ({ id, key: order(id, i), i }))
      .sort((a, b) => a.key - b.key || a.i - b.i)
      .map((x) => x.id);
    try {
      await setPointArticles(db, actorOf(request), { placeId: place.id, pointId, articleIds });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup/points/${pointId}`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return pointPage(request, reply, place, pointId, { articles: { values: body, errors: fields } }, 422);
    }
  });

  app.post('/venues/:slug/admin/till/setup/categories', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    try {
      await saveCategory(db, actorOf(request), { placeId: place.id, name: body.name, colour: body.colour });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup#categories-title`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return newCategoryPage(request, reply, place, { values: body, errors: fields }, 422);
    }
  });

  app.get('/venues/:slug/admin/till/setup/categories/new', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? newCategoryPage(request, reply, place) : reply;
  });

  async function findCategory(placeId: string, categoryId: string): Promise<PosCategory> {
    const c = (await posSetupOf(db, placeId)).categories.find((x) => x.id === categoryId);
    if (!c) throw notFound('category');
    return c;
  }

  app.get('/venues/:slug/admin/till/setup/categories/:categoryId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    return categoryPage(
      request,
      reply,
      place,
      await findCategory(place.id, (request.params as { categoryId: string }).categoryId),
    );
  });

  app.post('/venues/:slug/admin/till/setup/categories/:categoryId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { categoryId } = request.params as { categoryId: string };
    const body = formBody(request);
    try {
      await saveCategory(db, actorOf(request), {
        placeId: place.id,
        categoryId,
        name: body.name,
        colour: body.colour,
        position: body.position,
      });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return categoryPage(
        request,
        reply,
        place,
        await findCategory(place.id, categoryId),
        { values: body, errors: fields },
        422,
      );
    }
  });

  app.post('/venues/:slug/admin/till/setup/categories/:categoryId/delete', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    await deleteCategory(db, actorOf(request), {
      placeId: place.id,
      categoryId: (request.params as { categoryId: string }).categoryId,
    });
    return reply.redirect(`/venues/${place.slug}/admin/till/setup`, 303);
  });

  app.post('/venues/:slug/admin/till/setup/articles', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    try {
      const a = await saveArticle(db, actorOf(request), { placeId: place.id, ...articleFromForm(body) });
      // A blank form again, to type the next article of the menu.
      return reply.redirect(`/venues/${place.slug}/admin/till/setup/articles/new?created=${a.id}`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return newArticlePage(request, reply, place, { values: body, errors: fields }, 422);
    }
  });

  app.get('/venues/:slug/admin/till/setup/articles/new', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const created = String((request.query as { created?: string }).created ?? '');
    const article = isUuid(created)
      ? await db
          .selectFrom('pos_articles')
          .select('name')
          .where('place_id', '=', place.id)
          .where('id', '=', created)
          .executeTakeFirst()
      : undefined;
    return newArticlePage(
      request,
      reply,
      place,
      undefined,
      200,
      article ? request.ctx.t('pos.articleCreated', { name: article.name }) : undefined,
    );
  });

  app.get('/venues/:slug/admin/till/setup/articles/:articleId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? articlePage(request, reply, place, (request.params as { articleId: string }).articleId) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/articles/:articleId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { articleId } = request.params as { articleId: string };
    const body = formBody(request);
    try {
      await saveArticle(db, actorOf(request), { placeId: place.id, articleId, ...articleFromForm(body) });
      return reply.redirect(`/venues/${place.slug}/admin/till/setup/articles/${articleId}`, 303);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (!fields) throw error;
      return articlePage(request, reply, place, articleId, { values: body, errors: fields }, 422);
    }
  });

  app.post('/venues/:slug/admin/till/setup/articles/:articleId/:action', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { articleId, action } = request.params as { articleId: string; action: string };
    if (action !== 'archive' && action !== 'restore') throw notFound('page');
    await saveArticle(db, actorOf(request), { placeId: place.id, articleId, archived: action === 'archive' });
    return reply.redirect(`/venues/${place.slug}/admin/till/setup/articles/${articleId}`, 303);
  });

  // ---- Points of sale API ----
  app.get(
    '/api/v1/places/:placeId/pos',
    {
      schema: {
        tags,
        summary: "A venue's points of sale, categories, articles (archived included) and what articles may credit",
        security,
        params: PlaceParams,
        response: responses({ 200: SetupSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return posSetupOf(db, request.params.placeId);
    },
  );

  app.put(
    '/api/v1/places/:placeId/pos/settings',
    {
      schema: {
        tags,
        summary: "Set the venue's business day start ('HH:MM', local time)",
        security,
        params: PlaceParams,
        body: Type.Object({ dayStartsAt: Type.String({ maxLength: 8 }) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ dayStartsAt: Type.String() }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveTillSettings(db, actorOf(request), {
        placeId: request.params.placeId,
        dayStartsAt: request.body.dayStartsAt,
      });
    },
  );

  app.put(
    '/api/v1/places/:placeId/pos/top-up-limits/:currencyId',
    {
      schema: {
        tags,
        summary:
          'Set the counter top-up limits of a currency the venue credits: per line, per sale, per card and business day, per business day (cents)',
        security,
        params: Type.Object({ placeId: Uuid, currencyId: Uuid }),
        body: Type.Object(
          { lineMaxCents: LimitCents, saleMaxCents: LimitCents, cardDayMaxCents: LimitCents, dayMaxCents: LimitCents },
          { additionalProperties: false },
        ),
        response: responses({ 200: TopUpLimitsSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveTopUpLimits(db, actorOf(request), { ...request.params, ...request.body });
    },
  );

  app.post(
    '/api/v1/places/:placeId/pos/points',
    {
      schema: {
        tags,
        summary: 'Create a point of sale',
        security,
        params: PlaceParams,
        body: Type.Object(
          { ...PointBody, position: Type.Optional(Position), archived: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: responses({ 201: PointSchema }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      return reply
        .status(201)
        .send(await savePoint(db, actorOf(request), { placeId: request.params.placeId, ...request.body }));
    },
  );

  app.patch(
    '/api/v1/places/:placeId/pos/points/:pointId',
    {
      schema: {
        tags,
        summary: 'Change a point of sale (what is not sent keeps its value; archived: true hides it from the tills)',
        security,
        params: Type.Object({ placeId: Uuid, pointId: Uuid }),
        body: Type.Partial(Type.Object(PointBody), { additionalProperties: false }),
        response: responses({ 200: PointSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return savePoint(db, actorOf(request), { ...request.params, ...request.body });
    },
  );

  app.put(
    '/api/v1/places/:placeId/pos/points/:pointId/articles',
    {
      schema: {
        tags,
        summary: 'Set the articles a point of sale shows, in order (replaces the list)',
        security,
        params: Type.Object({ placeId: Uuid, pointId: Uuid }),
        body: Type.Object(
          { articleIds: Type.Array(Type.String({ maxLength: 36 }), { maxItems: 200 }) },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ pointId: Uuid, articleIds: Type.Array(Uuid) }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return setPointArticles(db, actorOf(request), { ...request.params, articleIds: request.body.articleIds });
    },
  );

  app.post(
    '/api/v1/places/:placeId/pos/categories',
    {
      schema: {
        tags,
        summary: 'Create a category of articles',
        security,
        params: PlaceParams,
        body: Type.Object(
          { name: Name, colour: Type.Optional(Colour), position: Type.Optional(Position) },
          { additionalProperties: false },
        ),
        response: responses({ 201: CategorySchema }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      return reply
        .status(201)
        .send(await saveCategory(db, actorOf(request), { placeId: request.params.placeId, ...request.body }));
    },
  );

  app.patch(
    '/api/v1/places/:placeId/pos/categories/:categoryId',
    {
      schema: {
        tags,
        summary: 'Change a category',
        security,
        params: Type.Object({ placeId: Uuid, categoryId: Uuid }),
        body: Type.Partial(Type.Object(CategoryBody), { additionalProperties: false }),
        response: responses({ 200: CategorySchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveCategory(db, actorOf(request), { ...request.params, ...request.body });
    },
  );

  app.delete(
    '/api/v1/places/:placeId/pos/categories/:categoryId',
    {
      schema: {
        tags,
        summary: 'Delete a category no article on sale uses (409 pos-category-in-use otherwise)',
        security,
        params: Type.Object({ placeId: Uuid, categoryId: Uuid }),
        response: responses({ 204: Type.Null() }, [401, 403, 404, 409]),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      await deleteCategory(db, actorOf(request), request.params);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/places/:placeId/pos/articles',
    {
      schema: {
        tags,
        summary: 'Create an article',
        security,
        params: PlaceParams,
        description:
          'priceCents: cents, or null for an amount typed at the till (sale, top_up, cash_out, gift_top_up, membership). vatRate: basis points (850 = 8.5 %). ' +
          'top_up: currencyId is the federated euro of a federation of the venue or a local euro it issues; gift_top_up: a gift currency it issues; membership: membershipProductId.',
        body: Type.Object(
          {
            name: Name,
            kind: ArticleBody.kind,
            priceCents: ArticleBody.priceCents,
            categoryId: Type.Optional(ArticleBody.categoryId),
            vatRate: Type.Optional(ArticleBody.vatRate),
            colour: Type.Optional(Colour),
            currencyId: Type.Optional(ArticleBody.currencyId),
            membershipProductId: Type.Optional(ArticleBody.membershipProductId),
            position: Type.Optional(Position),
            archived: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: ArticleSchema }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      return reply
        .status(201)
        .send(await saveArticle(db, actorOf(request), { placeId: request.params.placeId, ...request.body }));
    },
  );

  app.patch(
    '/api/v1/places/:placeId/pos/articles/:articleId',
    {
      schema: {
        tags,
        summary:
          'Change an article (what is not sent keeps its value; archived: true hides it from the tills, its history stays)',
        security,
        params: Type.Object({ placeId: Uuid, articleId: Uuid }),
        body: Type.Partial(Type.Object(ArticleBody), { additionalProperties: false }),
        response: responses({ 200: ArticleSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveArticle(db, actorOf(request), { ...request.params, ...request.body });
    },
  );
}
