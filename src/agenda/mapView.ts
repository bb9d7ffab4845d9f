import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { ModuleApp } from '../http/module.ts';
import { html, type Html } from '../http/html.ts';

/**
 * The map of an event's place: OpenStreetMap tiles drawn by Leaflet, whose files the node serves
 * itself from the installed package (no CDN, no third-party script). The tiles are images from
 * tile.openstreetmap.org: the page that shows a map allows that host in img-src (MAP_IMAGE_HOSTS)
 * and nothing else changes in its policy. Without scripts the reader keeps the address as text and
 * a link to openstreetmap.org at the same point.
 */
export const TILE_HOST = 'https://tile.openstreetmap.org';
export const MAP_IMAGE_HOSTS = [TILE_HOST];

const leafletDir = join(dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');
// Read once at start: a fixed, small set of files, each looked up by its exact name (no path from the request).
const LEAFLET_FILES = new Map<string, { type: string; bytes: Buffer }>(
  [
    ['leaflet.js', 'text/javascript; charset=utf-8'],
    ['leaflet.css', 'text/css; charset=utf-8'],
    ['images/marker-icon.png', 'image/png'],
    ['images/marker-icon-2x.png', 'image/png'],
    ['images/marker-shadow.png', 'image/png'],
    ['images/layers.png', 'image/png'],
    ['images/layers-2x.png', 'image/png'],
  ].map(([name, type]) => [name!, { type: type!, bytes: readFileSync(join(leafletDir, name!)) }]),
);
const MAP_SCRIPT = readFileSync(new URL('./public/eventMap.js', import.meta.url));
const DATES_SCRIPT = readFileSync(new URL('./public/eventDates.js', import.meta.url));
const FILTERS_SCRIPT = readFileSync(new URL('./public/filters.js', import.meta.url));

export function mapAssetRoutes(app: ModuleApp) {
  const send = (name: string) => async (_request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const file = LEAFLET_FILES.get(name)!;
    return reply.type(file.type).header('cache-control', 'public, max-age=86400').send(file.bytes);
  };
  for (const name of LEAFLET_FILES.keys()) app.get(`/static/leaflet/${name}`, send(name));
  for (const [name, bytes] of [
    ['eventMap.js', MAP_SCRIPT],
    ['eventDates.js', DATES_SCRIPT],
    ['filters.js', FILTERS_SCRIPT],
  ] as const)
    app.get(`/static/agenda/${name}`, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(bytes),
    );
}

/** Leaflet's stylesheet and the scripts, for the page's <head> (deferred: they run after parsing). */
export function mapHead(): Html {
  return html`<link rel="stylesheet" href="/static/leaflet/leaflet.css">
<script src="/static/leaflet/leaflet.js" defer></script>
<script src="/static/agenda/eventMap.js" defer></script>`;
}

export function openStreetMapUrl(latitude: number, longitude: number): string {
  return `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=17/${latitude}/${longitude}`;
}

/**
 * The place block: the address in words always; with coordinates, a map box (filled by
 * eventMap.js) and the openstreetmap.org link that works without scripts.
 */
export function placeMap(
  request: FastifyRequest,
  o: { address: Html | string; label: string; latitude: number | null; longitude: number | null; heading?: string },
): Html {
  const { t } = request.ctx;
  const hasPoint = o.latitude !== null && o.longitude !== null;
  return html`<section class="place-map" aria-labelledby="map-heading">
<h2 id="map-heading">${o.heading ?? t('browse.where')}</h2>
<p class="address">${o.address}</p>
${
  hasPoint
    ? html`<div class="map" id="event-map" data-lat="${String(o.latitude)}" data-lon="${String(o.longitude)}" data-label="${o.label}" data-attribution="${t('browse.mapAttribution')}" role="region" aria-label="${t('browse.mapLabel')}"></div>
<p><a class="map-link" href="${openStreetMapUrl(o.latitude!, o.longitude!)}" rel="noopener">${t('browse.openMap')}</a></p>`
    : ''
}
</section>`;
}
