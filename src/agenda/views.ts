import type { FastifyRequest } from 'fastify';
import { localeOf, type Language } from '../i18n/i18n.ts';
import { html, unsafeRaw, type Html } from '../http/html.ts';
import type { FieldError } from '../shared/errors.ts';
import type { AgendaItem } from './agendaQuery.ts';
import type { AgendaEvent } from './events.ts';
import type { RemoteAgendaEntry } from './remoteSource.ts';
import { plainText } from './markdown.ts';
import { posterImage } from './posterImages.ts';

/** Views shared by the agenda's pages: lists, cards, prices, dates, JSON-LD. No business rule here. */

export function formatWhen(lang: Language, start: Date, end: Date | null, timeZone: string): string {
  const locale = localeOf(lang);
  const day = new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone,
  });
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone });
  const startText = `${day.format(start)}, ${time.format(start)}`;
  if (!end) return startText;
  const sameDay = day.format(start) === day.format(end);
  return sameDay ? `${startText} – ${time.format(end)}` : `${startText} – ${day.format(end)}, ${time.format(end)}`;
}

export function formatPrice(
  t: FastifyRequest['ctx']['t'],
  lang: Language,
  cents: number | null,
  currency: string,
): string {
  if (cents === null) return '';
  if (cents === 0) return t('agenda.free');
  const amount = new Intl.NumberFormat(localeOf(lang), { style: 'currency', currency }).format(cents / 100);
  return t('agenda.priceFrom', { amount });
}

export function stateBadge(t: FastifyRequest['ctx']['t'], state: string): Html | '' {
  if (state === 'published') return '';
  return html`<strong class="badge badge-${state}">${t(`agenda.state.${state}`)}</strong>`;
}

/** The page of an agenda item: an event of this node's, or a received one's page here (remotePages.ts). */
export function itemPath(item: Pick<AgendaItem, 'slug' | 'remote'>): string {
  return item.remote ? `/agenda/remote/${item.remote.localId}` : `/events/${item.slug}`;
}

/** "From <venue> on <host>": the line every card and page of a received event carries. */
export function remoteOriginLine(request: FastifyRequest, entry: RemoteAgendaEntry): Html {
  return html`<p class="remote-origin">${request.ctx.t('agenda.remote.from', { venue: entry.originName, host: entry.originHost })}</p>`;
}

/** Cards are a column on a phone, about 20rem wide from there on (style.css: .cards). */
const CARD_SIZES = '(max-width: 40rem) calc(100vw - 2rem), 22rem';

/**
 * One agenda entry (a date of an event), marked with its venue when it comes from another one, and
 * with its origin ("from <venue> on <host>") when it was received from another node.
 */
export function agendaCard(
  request: FastifyRequest,
  item: AgendaItem,
  options: { showVenue: boolean; target?: string },
): Html {
  const { t, lang } = request.ctx;
  const target = options.target ? html` target="${options.target}"` : '';
  return html`<li class="card event-card${item.state === 'cancelled' ? ' cancelled' : ''}">
${posterImage({ list: item.imageListMediaId, page: item.imagePageMediaId }, { sizes: CARD_SIZES })}
<p class="when"><time datetime="${item.startsAt.toISOString()}">${formatWhen(lang, item.startsAt, item.endsAt, item.timezone)}</time> ${stateBadge(t, item.state)}</p>
<h3><a href="${itemPath(item)}"${target}>${item.title}</a></h3>
${item.remote ? remoteOriginLine(request, item.remote) : ''}
${item.remote ? '' : options.showVenue || item.origin !== 'own' ? html`<p class="venue">${t('agenda.atVenue')} <a href="/venues/${item.place.slug}"${target}>${item.place.name}</a>${item.origin === 'tag' ? html` <span class="hint">${t('agenda.origin.tag')}</span>` : ''}</p>` : ''}
${item.priceFromCents !== null ? html`<p class="price">${formatPrice(t, lang, item.priceFromCents, item.currency)}</p>` : ''}
${item.tags.length ? html`<ul class="tags">${item.tags.map((tag) => html`<li><a href="/agenda?tag=${tag}"${target}>#${tag}</a></li>`)}</ul>` : ''}
</li>`;
}

/** Field-name → catalogue key of its label (agenda forms name their own labels; no clash with other modules). */
export function fieldLabel(t: FastifyRequest['ctx']['t'], field: string): string {
  const base = field.replace(/^dates\.\d+\./, '').replace(/^dates\.\d+$/, 'dates');
  const n = /^dates\.(\d+)/.exec(field)?.[1];
  const label = t(`agenda.field.${base}`);
  return n === undefined ? label : `${label} (${t('agenda.field.dateNumber', { n: Number(n) + 1 })})`;
}

export function agendaErrorSummary(request: FastifyRequest, errors: FieldError[]): Html | '' {
  if (errors.length === 0) return '';
  const { t } = request.ctx;
  return html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: errors.length })}</p><ul>${errors.map(
    (e) =>
      html`<li><a href="#${e.field.replace(/\./g, '-')}">${fieldLabel(t, e.field)}</a> : ${t(`fields.${e.message}`, e.params)}</li>`,
  )}</ul></div>`;
}

export function fieldError(request: FastifyRequest, errors: FieldError[], field: string): Html | '' {
  const mine = errors.filter((e) => e.field === field);
  if (!mine.length) return '';
  return html`<p class="error" id="${field.replace(/\./g, '-')}-error">${mine.map((e) => request.ctx.t(`fields.${e.message}`, e.params))}</p>`;
}

/** A labelled input of an agenda form, with its error wired through aria-describedby. */
export function agendaInput(
  request: FastifyRequest,
  errors: FieldError[],
  field: string,
  value: unknown,
  options: { type?: string; required?: boolean; hint?: string; attrs?: Html; errorField?: string; name?: string } = {},
): Html {
  const id = field.replace(/\./g, '-');
  const errorField = options.errorField ?? field;
  const invalid = errors.some((e) => e.field === errorField);
  const described = [invalid ? `${errorField.replace(/\./g, '-')}-error` : '', options.hint ? `${id}-hint` : '']
    .filter(Boolean)
    .join(' ');
  return html`<div class="field">
<label for="${id}">${fieldLabel(request.ctx.t, field)}${options.required ? html` <span aria-hidden="true">*</span>` : ''}</label>
${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
<input id="${id}" name="${options.name ?? field}" type="${options.type ?? 'text'}" value="${value === undefined || value === null ? '' : String(value)}"${options.required ? html` required` : ''}${invalid ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}${options.attrs ?? ''}>
${fieldError(request, errors, errorField)}
</div>`;
}

export function agendaTextarea(
  request: FastifyRequest,
  errors: FieldError[],
  field: string,
  value: unknown,
  options: { rows?: number; hint?: string } = {},
): Html {
  const invalid = errors.some((e) => e.field === field);
  const described = [invalid ? `${field}-error` : '', options.hint ? `${field}-hint` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${field}">${fieldLabel(request.ctx.t, field)}</label>
${options.hint ? html`<p class="hint" id="${field}-hint">${options.hint}</p>` : ''}
<textarea id="${field}" name="${field}" rows="${options.rows ?? 5}"${invalid ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}>${value === undefined || value === null ? '' : String(value)}</textarea>
${fieldError(request, errors, field)}
</div>`;
}

/**
 * JSON to put inside <script type="application/ld+json">. JSON.stringify does not escape "<", so a
 * title containing "</script>" would end the block and open an injection: escape <, >, & and the
 * line separators as \u sequences (still valid JSON, same value).
 */
export function jsonForScript(value: unknown): Html {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return unsafeRaw(json);
}

const STATUS: Record<string, string> = {
  published: 'https://schema.org/EventScheduled',
  cancelled: 'https://schema.org/EventCancelled',
  postponed: 'https://schema.org/EventRescheduled',
  draft: 'https://schema.org/EventScheduled',
};

export interface PlaceForLd {
  name: string;
  slug: string;
  street: string;
  postalCode: string;
  city: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
}

/** schema.org Event for one date of an event (one JSON-LD object per date). */
export function eventJsonLd(event: AgendaEvent, place: PlaceForLd, baseUrl: string): Record<string, unknown>[] {
  const loc = event.atVenue
    ? {
        name: place.name,
        street: place.street,
        postalCode: place.postalCode,
        city: place.city,
        country: place.country,
        lat: place.latitude,
        lon: place.longitude,
      }
    : {
        name: event.locationName || place.name,
        street: event.street,
        postalCode: event.postalCode,
        city: event.city,
        country: event.country,
        lat: event.latitude,
        lon: event.longitude,
      };
  const image = event.imagePageMediaId ? [`${baseUrl}/media/${event.imagePageMediaId}`] : undefined;
  return event.dates.map((d) => ({
    '@context': 'https://schema.org',
    '@type': 'Event',
    '@id': `${baseUrl}/events/${event.slug}#${d.id}`,
    name: event.title,
    url: `${baseUrl}/events/${event.slug}`,
    startDate: d.startsAt.toISOString(),
    ...(d.endsAt ? { endDate: d.endsAt.toISOString() } : {}),
    ...(d.previousStartsAt ? { previousStartDate: d.previousStartsAt.toISOString() } : {}),
    eventStatus: STATUS[event.state],
    eventAttendanceMode: 'https://schema.org/OfflineEventAttendanceMode',
    description: plainText(event.descriptionHtml, 500),
    location: {
      '@type': 'Place',
      name: loc.name,
      address: {
        '@type': 'PostalAddress',
        streetAddress: loc.street,
        postalCode: loc.postalCode,
        addressLocality: loc.city,
        addressCountry: loc.country,
      },
      ...(loc.lat !== null && loc.lon !== null
        ? { geo: { '@type': 'GeoCoordinates', latitude: loc.lat, longitude: loc.lon } }
        : {}),
    },
    organizer: event.organisers.length
      ? event.organisers.map((name) => ({ '@type': 'Organization', name }))
      : { '@type': 'Organization', name: place.name, url: `${baseUrl}/venues/${place.slug}` },
    ...(event.performers.length
      ? { performer: event.performers.map((name) => ({ '@type': 'PerformingGroup', name })) }
      : {}),
    ...(image ? { image } : {}),
    ...(event.priceFromCents !== null
      ? {
          isAccessibleForFree: event.priceFromCents === 0,
          offers: {
            '@type': 'Offer',
            price: (event.priceFromCents / 100).toFixed(2),
            priceCurrency: event.currency,
            url: event.externalUrl || `${baseUrl}/events/${event.slug}`,
          },
        }
      : {}),
  }));
}
