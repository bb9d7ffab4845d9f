import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { html, type Html } from '../http/html.ts';
import { listAgenda, resolveRange } from './agendaQuery.ts';
import { agendaCard } from './views.ts';

/** Dates on the home page: the next few, and this weekend's in a strip of its own. */
const HOME_NEXT = 6;
const HOME_WEEKEND = 8;

/**
 * The agenda part of the home page (the places module draws the page): this weekend's dates in a
 * strip that scrolls inside itself, then the next dates as cards, and a link to the full agenda.
 * "This weekend" is the territory's (its zone), as on /agenda?range=weekend.
 */
export async function renderHomeAgenda(
  request: FastifyRequest,
  db: Db,
  timeZone: string,
  now = new Date(),
): Promise<Html> {
  const { t } = request.ctx;
  const weekend = resolveRange('weekend', timeZone, now);
  const [next, weekendItems] = await Promise.all([
    listAgenda(db, { kind: 'territory' }, { from: now }, { limit: HOME_NEXT }),
    listAgenda(db, { kind: 'territory' }, weekend, { limit: HOME_WEEKEND }),
  ]);
  if (next.items.length === 0) return html``;
  return html`${
    weekendItems.items.length
      ? html`<section class="weekend-strip" aria-labelledby="weekend-heading">
<h2 id="weekend-heading">${t('browse.weekend')}</h2>
<ul class="cards strip">${weekendItems.items.map((i) => agendaCard(request, i, { showVenue: true }))}</ul>
<p><a href="/agenda?range=weekend">${t('browse.weekendAll')}</a></p>
</section>`
      : ''
  }
<section class="next-events" aria-labelledby="next-heading">
<h2 id="next-heading">${t('browse.next')}</h2>
<ul class="cards">${next.items.map((i) => agendaCard(request, i, { showVenue: true }))}</ul>
<p><a class="button" href="/agenda">${t('browse.agendaAll')}</a></p>
</section>`;
}
