import type { FastifyRequest } from 'fastify';
import { localeOf } from '../i18n/i18n.ts';
import { html, type Html } from '../http/html.ts';
import type { RemoteAgendaEntry } from './remoteSource.ts';

/** What is known of a received event's places, and since when (its origin may tell it again later). */
export interface RemoteAvailability {
  availability: RemoteAgendaEntry['availability'];
  remaining: number | null;
  asOf: Date;
}

/**
 * The availability as stored when the event was received. One step apart from its rendering, so that
 * a fresher answer from the origin (a signed poll, docs/FEDERATION.md) can replace it before the page
 * is drawn.
 */
export function storedAvailability(entry: RemoteAgendaEntry): RemoteAvailability {
  return { availability: entry.availability, remaining: entry.remainingCapacity, asOf: entry.receivedAt };
}

/**
 * "Complet" / "Sold out", "Last places", "Places available", with the places left when known and
 * "as of <time>" (in the reader's zone): '' when the origin said nothing of its places.
 */
export function renderRemoteAvailability(
  request: FastifyRequest,
  known: RemoteAvailability,
  timeZone: string,
): Html | '' {
  const { t, lang } = request.ctx;
  const state = known.availability ?? (known.remaining === null ? null : known.remaining > 0 ? 'in_stock' : 'sold_out');
  if (state === null) return '';
  const when = new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    known.asOf,
  );
  const remaining =
    state !== 'sold_out' && known.remaining !== null && known.remaining > 0
      ? html` · ${t('agenda.remote.remaining', { count: known.remaining })}`
      : '';
  return html`<p class="availability availability-${state}"><strong>${t(`agenda.remote.availability.${state}`)}</strong>${remaining} <span class="hint">(${t('agenda.remote.asOf', { when })})</span></p>`;
}
