import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { venueFor } from '../http/formRoute.ts';
import { html, unsafeRaw } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { formatDateTime, localeOf } from '../i18n/i18n.ts';
import { checkinData, doorDates, doorEvent } from './door.ts';

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
  'dataMissing',
] as const;

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
#scan-video { width: 100%; max-height: 50vh; background: #000; border-radius: .5rem; margin-top: 1rem; }
</style>`);

/** The door: the events to scan, and the scanner page (its behaviour is in /static/scanner.js). */
export async function scannerRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db } = deps;

  app.get('/static/scanner.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script),
  );
  app.get('/static/scannerCamera.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(camera),
  );
  app.get('/static/jsqr.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(jsqr),
  );

  const doorPlace = venueFor(db, 'checkin');

  app.get('/venues/:slug/scan', async (request, reply) => {
    const place = await doorPlace(request, reply);
    if (!place) return reply;
    const { t, lang } = request.ctx;
    const rows = await doorDates(db, place.id);
    const events = new Map<string, { title: string; dates: string[] }>();
    for (const r of rows) {
      const e = events.get(r.id) ?? { title: r.title, dates: [] };
      e.dates.push(formatDateTime(lang, r.starts_at, r.timezone));
      events.set(r.id, e);
    }
    const body = html`<section class="narrow">
<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a></p>
<h1>${t('scanner.listTitle')}</h1>
${
  events.size === 0
    ? html`<p>${t('scanner.noEvents')}</p>`
    : html`<ul class="cards">${[...events].map(
        ([id, e]) =>
          html`<li class="card"><h2><a href="/venues/${place.slug}/scan/${id}">${e.title}</a></h2><p>${e.dates.join(' · ')}</p></li>`,
      )}</ul>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('scanner.listTitle'), body }));
  });

  app.get('/venues/:slug/scan/:eventId', async (request, reply) => {
    const place = await doorPlace(request, reply);
    if (!place) return reply;
    const { t, lang, csrfToken } = request.ctx;
    const event = await doorEvent(db, place, (request.params as { eventId: string }).eventId);
    const data = {
      venue: place.slug,
      eventId: event.id,
      lang,
      locale: localeOf(lang),
      timezone: place.timezone,
      csrf: csrfToken,
      dataUrl: `/api/v1/venues/${place.slug}/events/${event.id}/checkin-data`,
      words: Object.fromEntries(SCRIPT_WORDS.map((w) => [w, t(`scanner.${w}`)])),
    };
    const body = html`<section class="narrow scanner">
<p class="breadcrumb"><a href="/venues/${place.slug}/scan">${t('scanner.listTitle')}</a></p>
<h1>${event.title}</h1>
<div class="scan-bar"><p class="scan-count" id="scan-count" aria-live="polite">${t('scanner.count', { count: 0 })}</p>
<p class="scan-net" id="scan-net" role="status">${t('scanner.online')}</p></div>
<div class="scan-result" id="scan-result" role="alert" aria-atomic="true"><p class="big">${t('scanner.ready')}</p><p class="detail"></p></div>
<form id="scan-form" autocomplete="off"><label class="visually-hidden" for="scan-code">${t('scanner.code')}</label>
<input id="scan-code" name="code" placeholder="${t('scanner.code')}" autocapitalize="off" spellcheck="false" enterkeyhint="go">
<button type="submit">${t('scanner.check')}</button></form>
<div class="scan-actions"><button type="button" id="scan-camera">${t('scanner.camera')}</button>
<button type="button" id="scan-sync">${t('scanner.sync', { count: 0 })}</button></div>
<p id="scan-report" role="status"></p>
<video id="scan-video" hidden playsinline muted></video>
<noscript><p class="alert">${t('scanner.noScript')}</p></noscript>
</section>
<script type="application/json" id="scanner-data">${unsafeRaw(jsonBlock(data))}</script>
<script type="module" src="/static/scanner.js"></script>`;
    return sendHtml(
      reply,
      layout(request, info, {
        title: `${t('scanner.title')} · ${event.title}`,
        body,
        head: styles(request.ctx.cspNonce),
      }),
    );
  });

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
        response: responses({
          200: Type.Object({
            venueId: Type.String(),
            keys: Type.Array(
              Type.Object({ id: Type.String(), publicKey: Type.String(), algorithm: Type.Literal('Ed25519') }),
            ),
            revoked: Type.Array(Type.String()),
            entered: Type.Array(Type.String()),
            dateIds: Type.Array(Type.String()),
          }),
        }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return checkinData(db, actorOf(request), request.params.slug, request.params.eventId);
    },
  );
}
