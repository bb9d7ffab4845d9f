import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { html, type Html } from '../http/html.ts';
import type { VenueSection } from '../http/module.ts';
import type { Place } from '../places/index.ts';
import { MAP_IMAGE_HOSTS, mapHead, placeMap } from './mapView.ts';

/**
 * "Getting there" on a venue's page: its address in words and, when the venue has coordinates, the
 * same Leaflet map as an event page (with the openstreetmap.org link that works without scripts). The
 * coordinates themselves are never written out: nobody reads "-21.339, 55.478". The map's stylesheet and
 * scripts come with the section (a stylesheet link and deferred scripts are valid in the body).
 */
async function render(request: FastifyRequest, _db: Db, place: Place): Promise<Html | ''> {
  const address = [place.street, [place.postalCode, place.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const hasPoint = place.latitude !== null && place.longitude !== null;
  if (!address && !hasPoint) return '';
  return html`${hasPoint ? mapHead() : ''}
${placeMap(request, {
  address: address || place.name,
  label: place.name,
  latitude: place.latitude,
  longitude: place.longitude,
  heading: request.ctx.t('browse.gettingThere'),
})}`;
}

export const venueWhere: VenueSection = { order: 30, render, imgHosts: MAP_IMAGE_HOSTS };
