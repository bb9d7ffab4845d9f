import type { FastifyRequest } from 'fastify';
import { localeOf } from '../i18n/i18n.ts';
import { html, type Html } from '../http/html.ts';
import type { DateOffers } from '../ticketing/index.ts';
import type { AgendaEvent, EventDate } from './events.ts';
import type { IcsEntry } from './feeds.ts';
import { plainText } from './markdown.ts';

/** Pieces of the event page that take the event elsewhere: calendars, share links, price summary. */

/** An event without an end lasts two hours in a calendar (as in the feeds). */
const DEFAULT_LENGTH_MS = 2 * 3_600_000;

/** A place as the event page knows it: where the event is, in words. */
export function whereText(
  event: AgendaEvent,
  place: { name: string; street: string; postal_code: string; city: string },
) {
  return event.atVenue
    ? [place.name, place.street, [place.postal_code, place.city].filter(Boolean).join(' ')].filter(Boolean).join(', ')
    : [event.locationName, event.street, [event.postalCode, event.city].filter(Boolean).join(' ')]
        .filter(Boolean)
        .join(', ');
}

/** The event's dates as iCalendar entries: the same UIDs as the agenda feeds, so a calendar keeps one entry. */
export function icsEntries(event: AgendaEvent, place: { name: string; city: string }): IcsEntry[] {
  return event.dates.map((d) => ({
    dateId: d.id,
    startsAt: d.startsAt,
    endsAt: d.endsAt,
    timezone: d.timezone,
    title: event.title,
    descriptionHtml: event.descriptionHtml,
    atVenue: event.atVenue,
    locationName: event.locationName,
    city: event.city,
    slug: event.slug,
    sequence: event.sequence,
    updatedAt: event.updatedAt,
    // A draft is seen by its team only; in their calendar it is a confirmed entry like the rest.
    state: event.state === 'draft' ? 'published' : event.state,
    tags: event.tags,
    place,
  }));
}

const utcStamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * "Add to Google Calendar": the template link with the date in UTC (…Z/…Z) and the event's zone
 * as ctz, so Google shows it at the right local time.
 */
export function googleCalendarUrl(event: AgendaEvent, date: EventDate, where: string, url: string): string {
  const end = date.endsAt ?? new Date(date.startsAt.getTime() + DEFAULT_LENGTH_MS);
  const q = new URLSearchParams({
    action: 'TEMPLATE',
    text: event.title,
    dates: `${utcStamp(date.startsAt)}/${utcStamp(end)}`,
    ctz: date.timezone,
    details: `${plainText(event.descriptionHtml, 500)}\n\n${url}`.trim(),
    location: where,
  });
  return `https://calendar.google.com/calendar/render?${q.toString()}`;
}

/** "Add to Outlook": outlook.com's compose deep link, dates as ISO instants. */
export function outlookCalendarUrl(event: AgendaEvent, date: EventDate, where: string, url: string): string {
  const end = date.endsAt ?? new Date(date.startsAt.getTime() + DEFAULT_LENGTH_MS);
  const q = new URLSearchParams({
    path: '/calendar/action/compose',
    rru: 'addevent',
    subject: event.title,
    startdt: date.startsAt.toISOString(),
    enddt: end.toISOString(),
    body: `${plainText(event.descriptionHtml, 500)}\n\n${url}`.trim(),
    location: where,
  });
  return `https://outlook.live.com/calendar/0/deeplink/compose?${q.toString()}`;
}

/** The "add to my calendar" block: one .ics for the event, and per date a Google and an Outlook link. */
export function addToCalendar(request: FastifyRequest, event: AgendaEvent, where: string, url: string): Html {
  const { t, lang } = request.ctx;
  const day = (d: EventDate) =>
    new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium', timeStyle: 'short', timeZone: d.timezone }).format(
      d.startsAt,
    );
  const several = event.dates.length > 1;
  return html`<section class="add-calendar" aria-labelledby="calendar-heading">
<h2 id="calendar-heading">${t('browse.calendar')}</h2>
<p><a class="button secondary" href="/events/${event.slug}/calendar.ics" download="${event.slug}.ics">${t('browse.ics')}</a></p>
<ul class="calendar-links">${event.dates.map(
    (d) =>
      html`<li>${several ? html`${day(d)} : ` : ''}<a href="${googleCalendarUrl(event, d, where, url)}" rel="noopener nofollow">${t('browse.google')}</a> · <a href="${outlookCalendarUrl(event, d, where, url)}" rel="noopener nofollow">${t('browse.outlook')}</a></li>`,
  )}</ul>
</section>`;
}

/** Share links: plain links to each service's own share page (no script, no tracking pixel from here). */
export function shareLinks(request: FastifyRequest, title: string, url: string): Html {
  const { t } = request.ctx;
  const text = `${title} ${url}`;
  const links = [
    {
      name: t('browse.share.email'),
      href: `mailto:?subject=${encodeURIComponent(title)}&body=${encodeURIComponent(url)}`,
    },
    { name: 'Mastodon', href: `https://toot.kytta.dev/?text=${encodeURIComponent(text)}` },
    { name: 'WhatsApp', href: `https://wa.me/?text=${encodeURIComponent(text)}` },
    { name: 'Facebook', href: `https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(url)}` },
  ];
  return html`<section class="share" aria-labelledby="share-heading">
<h2 id="share-heading">${t('browse.share')}</h2>
<ul class="share-links">${links.map((l) => html`<li><a href="${l.href}" rel="noopener nofollow">${l.name}</a></li>`)}</ul>
</section>`;
}

/**
 * The ticket prices in one line each (name and amount, "sold out" when none is left on any date),
 * above the ticket form: what it costs, read at a glance before choosing quantities.
 */
export function priceList(request: FastifyRequest, offers: DateOffers[], currency: string): Html | '' {
  const { t, lang } = request.ctx;
  const byId = new Map<string, { name: string; cents: number; kind: string; left: boolean }>();
  for (const d of offers)
    for (const p of d.prices) {
      const seen = byId.get(p.id);
      const left = p.remaining === null || p.remaining > 0;
      // Pay what you want: the amount shown is the minimum the ticket form asks for, not the suggested one.
      const cents = p.kind === 'pay_what_you_want' ? p.minPriceCents : p.priceCents;
      byId.set(p.id, { name: p.name, cents, kind: p.kind, left: (seen?.left ?? false) || left });
    }
  if (byId.size === 0) return '';
  const money = new Intl.NumberFormat(localeOf(lang), { style: 'currency', currency });
  return html`<ul class="price-list" aria-label="${t('browse.prices')}">${[...byId.values()].map(
    (p) =>
      html`<li><span>${p.name}</span> <strong>${p.kind === 'pay_what_you_want' ? t('browse.fromAmount', { amount: money.format(p.cents / 100) }) : p.cents === 0 ? t('agenda.free') : money.format(p.cents / 100)}</strong>${p.left ? '' : html` <span class="hint">${t('buy.soldOut')}</span>`}</li>`,
  )}</ul>`;
}
