import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../access/permissions.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { deviceSignatureOf, keepRawJsonBodies } from '../http/deviceRequests.ts';
import { verifyDeviceRequest } from '../ledger/index.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { html, unsafeRaw } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { localeOf } from '../i18n/i18n.ts';
import { findPlaceById, getPlaceBySlug, type Place } from '../places/index.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { signTicket } from './ticketSignature.ts';
import { Answer, Scan } from './routes.ts';
import { authorizeDoor, checkIn, type DoorActor, type ScannerDevice } from './checkIn.ts';
import { checkinData, doorEvent, doorEvents } from './door.ts';
import { onSitePaymentOf } from './payOnSite.ts';

// The scanner's script: ES modules in src/ticketing/public, served under /static/.
const script = readFileSync(new URL('./public/scanner.js', import.meta.url));
const camera = readFileSync(new URL('./public/scannerCamera.js', import.meta.url));
const jsqr = readFileSync(createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js'));

/** The words the scanner script shows, looked up once per page in the page's language. */
const SCRIPT_WORDS = [
  'ready',
  'valid',
  'validOffline',
  'already',
  'alreadyAt',
  'cancelled',
  'refunded',
  'revoked',
  'wrongEvent',
  'unknown',
  'unverifiable',
  'refused',
  'online',
  'offline',
  'sync',
  'syncing',
  'synced',
  'conflicts',
  'syncFailed',
  'camera',
  'cameraStop',
  'cameraUnavailable',
  'count.one',
  'count.other',
  'ofSold.one',
  'ofSold.other',
  'dataMissing',
  'letIn',
  'searchNone',
  'searchShort',
  'searchFailed',
] as const;

/**
 * The paired scanner a signed request comes from (docs/TICKETING.md, "The door phone"): its signature
 * checked and its nonce recorded in a transaction of its own; a till's key is refused (403
 * `ledger-device-kind`): a till never checks tickets in, as a scanner never moves money.
 */
async function getPlaceById(db: Db, id: string): Promise<Place> {
  const place = await findPlaceById(db, id);
  if (!place) throw notFound('place');
  return place;
}

export async function scannerDeviceOf(db: Db, request: FastifyRequest): Promise<ScannerDevice> {
  const signature = deviceSignatureOf(request);
  if (!signature) throw new DomainError('ledger-device-signature', 401, { reason: 'device' });
  const device = await inTransaction(db, (trx) => verifyDeviceRequest(trx, signature));
  if (device.kind !== 'scanner') throw new DomainError('ledger-device-kind', 403, { kind: device.kind });
  return { kind: 'scannerDevice', placeId: device.placeId, deviceId: device.deviceId };
}

const CheckinDataSchema = Type.Object({
  venueId: Type.String(),
  keys: Type.Array(Type.Object({ id: Type.String(), publicKey: Type.String(), algorithm: Type.Literal('Ed25519') })),
  revoked: Type.Array(Type.String()),
  entered: Type.Array(Type.String()),
  dateIds: Type.Array(Type.String()),
  sold: Type.Integer({ description: 'Tickets of the event still valid: the door counter shows entries out of them' }),
});
const CheckinsBody = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    listId: Type.Optional(Type.String({ format: 'uuid' })),
    scans: Type.Array(Scan, { minItems: 1, maxItems: 500 }),
  },
  { additionalProperties: false },
);
const CheckinsAnswer = Type.Object({ results: Type.Array(Answer), conflicts: Type.Integer() });
const DOOR_SIGNED =
  'Signed by a paired device of kind `scanner` (the headers of docs/LEDGER.md, "Device signatures"); a till\'s key is refused (403 `ledger-device-kind`).';
/** What the door page's script shows, in the page's language. */
const DOOR_WORDS = ['pairing', 'paired', 'pairFailed', 'noEvents', 'unreachable', 'unpairConfirm', 'insecure'] as const;
const doorScript = readFileSync(new URL('./public/door.js', import.meta.url));

/** A guest found by name at the door: one ticket, with the code that checks it in as a scan would. */
export interface Attendee {
  ticketId: string;
  holderName: string;
  priceName: string;
  entered: boolean;
  /** The ticket's QR content: the door checks the guest in by sending it as a scan (same rules, same nonce). */
  payload: string;
}

/**
 * The event's valid tickets whose holder's name contains `q` (2 characters at least; case and accents
 * as typed, `%` and `_` taken literally), at most 20, for a guest without a phone. The door then checks
 * one in through the scan path (POST /api/v1/checkins with its payload): one entry per ticket, the
 * device's nonce, the same audit. Door team, `checkin` keys and the venue's scanners only.
 */
export async function searchAttendees(
  db: Db,
  actor: DoorActor,
  slug: string,
  eventId: string,
  q: string,
): Promise<Attendee[]> {
  const place = await getPlaceBySlug(db, slug);
  await authorizeDoor(db, actor, place.id);
  const event = await doorEvent(db, place, eventId);
  const typed = q.trim();
  if (typed.length < 2) return [];
  const pattern = `%${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectFrom('tickets as t')
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 't.place_id').onRef('p.id', '=', 't.price_id'))
    .select(['t.id', 't.holder_name', 't.event_date_id', 'p.name as price_name'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('checkins as c')
            .innerJoin('checkin_lists as l', (j) =>
              j.onRef('l.place_id', '=', 'c.place_id').onRef('l.id', '=', 'c.list_id'),
            )
            .select('c.id')
            .whereRef('c.place_id', '=', 't.place_id')
            .whereRef('c.ticket_id', '=', 't.id')
            .where('l.is_default', '=', true)
            .where('c.result', '=', 'valid'),
        )
        .as('entered'),
    )
    .where('t.place_id', '=', place.id)
    .where('t.event_id', '=', event.id)
    .where('t.status', '=', 'valid')
    .where(sql<boolean>`t.holder_name ilike ${pattern}`)
    .orderBy('t.holder_name')
    .orderBy('t.id')
    .limit(20)
    .execute();
  return Promise.all(
    rows.map(async (r) => ({
      ticketId: r.id,
      holderName: r.holder_name,
      priceName: r.price_name,
      entered: Boolean(r.entered),
      payload: await signTicket(db, { placeId: place.id, id: r.id, eventDateId: r.event_date_id }),
    })),
  );
}

const AttendeesSchema = Type.Object({
  attendees: Type.Array(
    Type.Object({
      ticketId: Type.String(),
      holderName: Type.String(),
      priceName: Type.String(),
      entered: Type.Boolean(),
      payload: Type.String({ description: "The ticket's QR content: check the guest in by sending it as a scan" }),
    }),
  ),
});
const SearchQuery = Type.Object({ q: Type.String({ maxLength: 100 }) });

/** JSON inside a <script> block: `<` escaped so that no value can close the block. */
const jsonBlock = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** The scanner's own styles, allowed by the page's Content-Security-Policy through its nonce. */
const styles = (nonce: string) =>
  unsafeRaw(`<style nonce="${nonce}">
.scan-result { border-radius: .75rem; padding: 1.25rem 1rem; margin: 1rem 0; text-align: center; min-height: 9rem; border: 3px solid var(--line); background: var(--soft); }
.scan-result .big { font-size: 2.25rem; font-weight: 800; margin: 0; line-height: 1.2; }
.scan-result .detail { font-size: 1.25rem; margin: .5rem 0 0; }
.scan-result.ok { background: var(--ok); border-color: var(--ok); color: #fff; }
.scan-result.ko { background: var(--danger); border-color: var(--danger); color: #fff; }
.scan-bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; }
.scan-count { font-size: 1.5rem; font-weight: 700; margin: 0; }
.scan-net { font-weight: 700; margin: 0; padding: .25rem .75rem; border-radius: 1rem; border: 2px solid var(--ok); color: var(--ok); }
.scan-net.off { border-color: var(--danger); color: var(--danger); }
#scan-form { display: flex; gap: .5rem; margin: 1rem 0; }
#scan-form input { flex: 1 1 auto; min-width: 0; }
.scan-actions { display: flex; flex-wrap: wrap; gap: .5rem; }
.scan-actions button { flex: 1 1 10rem; }
#scan-search { display: flex; gap: .5rem; margin: .5rem 0; }
#scan-search input { flex: 1 1 auto; min-width: 0; }
.scan-h2 { font-size: 1.25rem; margin: 1.5rem 0 0; }
.scan-people { list-style: none; padding: 0; margin: 0; }
.scan-people li { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; justify-content: space-between; padding: .5rem 0; border-bottom: 1px solid var(--line); }
#scan-video { width: 100%; max-height: 50vh; background: #000; border-radius: .5rem; margin-top: 1rem; }
</style>`);

/** The door: the events to scan, and the scanner page (its behaviour is in /static/scanner.js). */
export async function scannerRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db } = deps;
  // The door phone's requests are signed over the body's exact bytes.
  keepRawJsonBodies(app);

  app.get('/static/scanner.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script),
  );
  app.get('/static/scannerCamera.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(camera),
  );
  app.get('/static/jsqr.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(jsqr),
  );

  async function doorPlace(request: FastifyRequest, reply: FastifyReply): Promise<Place | null> {
    if (!personOrLogin(request, reply)) return null;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    await authorize(db, actorOf(request), place.id, 'checkin');
    return place;
  }

  app.get('/venues/:slug/scan', async (request, reply) => {
    const place = await doorPlace(request, reply);
    if (!place) return reply;
    const { t, lang } = request.ctx;
    const events = await doorEvents(db, place.id, lang);
    const body = html`<section class="narrow">
<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a></p>
<h1>${t('scanner.listTitle')}</h1>
${
  events.length === 0
    ? html`<p>${t('scanner.noEvents')}</p>`
    : html`<ul class="cards">${events.map(
        (e) =>
          html`<li class="card"><h2><a href="/venues/${place.slug}/scan/${e.id}">${e.title}</a></h2><p>${e.dates.join(' · ')}</p></li>`,
      )}</ul>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('scanner.listTitle'), body }));
  });

  /** The scanner's page: for a person (config from the server) or a paired door phone (`device`: it fills in the rest). */
  function scannerPage(
    request: FastifyRequest,
    reply: FastifyReply,
    page: {
      title: string;
      breadcrumb: { href: string; label: string };
      config: Record<string, unknown>;
      /** A link under the title (the orders to collect, for a person at a venue that takes payment on site). */
      link?: { href: string; label: string };
    },
  ) {
    const { t, lang } = request.ctx;
    const data = {
      ...page.config,
      lang,
      locale: localeOf(lang),
      words: Object.fromEntries(SCRIPT_WORDS.map((w) => [w, t(`scanner.${w}`)])),
    };
    const body = html`<section class="narrow scanner">
<p class="breadcrumb"><a href="${page.breadcrumb.href}">${page.breadcrumb.label}</a></p>
<h1 id="scan-title">${page.title}</h1>
${page.link ? html`<p><a class="button" href="${page.link.href}">${page.link.label}</a></p>` : ''}
<div class="scan-bar"><p class="scan-count" id="scan-count" aria-live="polite">${t('scanner.count', { count: 0 })}</p>
<p class="scan-net" id="scan-net" role="status">${t('scanner.online')}</p></div>
<div class="scan-result" id="scan-result" role="alert" aria-atomic="true"><p class="big">${t('scanner.ready')}</p><p class="detail"></p></div>
<form id="scan-form" autocomplete="off"><label class="visually-hidden" for="scan-code">${t('scanner.code')}</label>
<input id="scan-code" name="code" placeholder="${t('scanner.code')}" autocapitalize="off" spellcheck="false" enterkeyhint="go">
<button type="submit">${t('scanner.check')}</button></form>
<div class="scan-actions"><button type="button" id="scan-camera">${t('scanner.camera')}</button>
<button type="button" id="scan-sync">${t('scanner.sync', { count: 0 })}</button></div>
<p id="scan-report" role="status"></p>
<h2 class="scan-h2">${t('scanner.byName')}</h2>
<form id="scan-search" role="search" autocomplete="off"><label class="visually-hidden" for="scan-name">${t('scanner.searchLabel')}</label>
<input id="scan-name" name="q" type="search" placeholder="${t('scanner.searchLabel')}" maxlength="100" enterkeyhint="search">
<button type="submit">${t('scanner.search')}</button></form>
<p id="scan-people-status" role="status"></p>
<ul class="scan-people" id="scan-people"></ul>
<video id="scan-video" hidden playsinline muted></video>
<noscript><p class="alert">${t('scanner.noScript')}</p></noscript>
</section>
<script type="application/json" id="scanner-data">${unsafeRaw(jsonBlock(data))}</script>
<script type="module" src="/static/scanner.js"></script>`;
    return sendHtml(
      reply,
      layout(request, info, {
        title: page.title ? `${t('scanner.title')} · ${page.title}` : t('scanner.title'),
        body,
        head: styles(request.ctx.cspNonce),
      }),
    );
  }

  app.get('/venues/:slug/scan/:eventId', async (request, reply) => {
    const place = await doorPlace(request, reply);
    if (!place) return reply;
    const { t, csrfToken } = request.ctx;
    const event = await doorEvent(db, place, (request.params as { eventId: string }).eventId);
    const onSite = await onSitePaymentOf(db, place.id);
    return scannerPage(request, reply, {
      title: event.title,
      breadcrumb: { href: `/venues/${place.slug}/scan`, label: t('scanner.listTitle') },
      ...(onSite ? { link: { href: `/venues/${place.slug}/scan/${event.id}/unpaid`, label: t('onSite.open') } } : {}),
      config: {
        venue: place.slug,
        eventId: event.id,
        timezone: place.timezone,
        csrf: csrfToken,
        dataUrl: `/api/v1/venues/${place.slug}/events/${event.id}/checkin-data`,
        attendeesUrl: `/api/v1/venues/${place.slug}/events/${event.id}/attendees`,
      },
    });
  });

  app.get(
    '/api/v1/venues/:slug/events/:eventId/attendees',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Find a guest by name at the door (a guest without a phone)',
        description:
          "Door team or an API key with the `checkin` scope. The event's valid tickets whose holder's name contains `q` (2 characters at least), at most 20; each with its QR content, which checks it in through `POST /api/v1/checkins` as a scan would.",
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), eventId: Type.String({ format: 'uuid' }) }),
        querystring: SearchQuery,
        response: responses({ 200: AttendeesSchema }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { slug, eventId } = request.params;
      return { attendees: await searchAttendees(db, actorOf(request), slug, eventId, request.query.q) };
    },
  );

  app.get(
    '/api/v1/venues/:slug/events/:eventId/checkin-data',
    {
      schema: {
        tags: ['tickets'],
        summary: 'What a door scanner needs to check tickets of an event offline',
        description:
          'Door team or an API key with the `checkin` scope. `keys` verify the QR payloads (as `/api/v1/venues/{slug}/ticket-keys`); `revoked` are the cancelled or refunded tickets of the event; `entered` the tickets already checked in on its default list; `dateIds` the dates of the event (a payload for another date is for another event).',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), eventId: Type.String({ format: 'uuid' }) }),
        response: responses({ 200: CheckinDataSchema }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return checkinData(db, actorOf(request), request.params.slug, request.params.eventId);
    },
  );

  // --- the door phone: a paired scanner device, no login (docs/TICKETING.md, "The door phone") ---
  app.get('/static/door.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(doorScript),
  );

  app.get('/door', async (request, reply) => {
    const { t } = request.ctx;
    const words = Object.fromEntries(DOOR_WORDS.map((w) => [w, t(`door.${w}`)]));
    const body = html`<section class="narrow door">
<h1 id="door-title">${t('door.title')}</h1>
<p id="door-place"></p>
<div id="door-pair" hidden><p>${t('door.pairHint')}</p>
<form id="door-pair-form" autocomplete="off"><label for="door-pair-code">${t('door.code')}</label>
<input id="door-pair-code" name="code" autocapitalize="characters" spellcheck="false" enterkeyhint="go">
<button type="submit">${t('door.pair')}</button></form></div>
<p id="door-message" role="status"></p>
<ul class="cards" id="door-events"></ul>
<p id="door-unpair-row" hidden><button type="button" id="door-unpair" class="secondary">${t('door.unpair')}</button></p>
<noscript><p class="alert">${t('scanner.noScript')}</p></noscript>
</section>
<script type="application/json" id="door-data">${unsafeRaw(jsonBlock({ words }))}</script>
<script type="module" src="/static/door.js"></script>`;
    return sendHtml(reply, layout(request, info, { title: t('door.title'), body }));
  });

  app.get('/door/scan/:eventId', async (request, reply) => {
    const { t } = request.ctx;
    const eventId = (request.params as { eventId: string }).eventId;
    if (!isUuid(eventId)) throw notFound('event');
    // No data here: the page is the same for everyone; the phone's signed requests fetch the event.
    return scannerPage(request, reply, {
      title: '',
      breadcrumb: { href: '/door', label: t('door.title') },
      config: {
        device: true,
        venue: '',
        eventId,
        timezone: 'UTC',
        csrf: '',
        dataUrl: `/api/v1/door/events/${eventId}/checkin-data`,
        attendeesUrl: `/api/v1/door/events/${eventId}/attendees`,
      },
    });
  });

  const DoorEvent = Type.Object({ id: Type.String(), title: Type.String(), dates: Type.Array(Type.String()) });
  app.get(
    '/api/v1/door/events',
    {
      schema: {
        tags: ['tickets'],
        summary: "A paired scanner's venue and its events open at the door",
        description: `${DOOR_SIGNED} Published events with a date that started less than 12 hours ago or later, soonest first.`,
        response: responses({
          200: Type.Object({
            venue: Type.Object({ slug: Type.String(), name: Type.String(), timezone: Type.String() }),
            events: Type.Array(DoorEvent),
          }),
        }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const device = await scannerDeviceOf(db, request);
      const place = await getPlaceById(db, device.placeId);
      return {
        venue: { slug: place.slug, name: place.name, timezone: place.timezone },
        events: await doorEvents(db, place.id, request.ctx.lang),
      };
    },
  );

  app.get(
    '/api/v1/door/events/:eventId/checkin-data',
    {
      schema: {
        tags: ['tickets'],
        summary: 'What a paired scanner needs to check tickets of an event offline',
        description: `${DOOR_SIGNED} As \`/api/v1/venues/{slug}/events/{eventId}/checkin-data\`, for the device's venue.`,
        params: Type.Object({ eventId: Type.String({ format: 'uuid' }) }),
        response: responses({ 200: CheckinDataSchema }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const device = await scannerDeviceOf(db, request);
      const place = await getPlaceById(db, device.placeId);
      return checkinData(db, device, place.slug, request.params.eventId);
    },
  );

  app.get(
    '/api/v1/door/events/:eventId/attendees',
    {
      schema: {
        tags: ['tickets'],
        summary: 'A paired scanner finds a guest by name',
        description: `${DOOR_SIGNED} As \`/api/v1/venues/{slug}/events/{eventId}/attendees\`, for the device's venue (the query string is signed).`,
        params: Type.Object({ eventId: Type.String({ format: 'uuid' }) }),
        querystring: SearchQuery,
        response: responses({ 200: AttendeesSchema }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const device = await scannerDeviceOf(db, request);
      const place = await getPlaceById(db, device.placeId);
      return { attendees: await searchAttendees(db, device, place.slug, request.params.eventId, request.query.q) };
    },
  );

  app.post(
    '/api/v1/door/checkins',
    {
      schema: {
        tags: ['tickets'],
        summary: 'A paired scanner checks tickets in (one scan, or an offline batch)',
        description: `${DOOR_SIGNED} The same rules and answers as \`POST /api/v1/checkins\` (one entry per ticket and list, the scan's nonce makes a resend count once); the entry names the device.`,
        body: CheckinsBody,
        response: responses({ 200: CheckinsAnswer }, [400, 401, 403, 404, 409, 422]),
      },
    },
    async (request) => {
      const device = await scannerDeviceOf(db, request);
      const place = await getPlaceById(db, device.placeId);
      const { eventId, listId, scans } = request.body;
      const results = await checkIn(db, device, { slug: place.slug, eventId, ...(listId ? { listId } : {}), scans });
      return { results, conflicts: results.filter((r) => r.result === 'already_checked_in').length };
    },
  );
}
