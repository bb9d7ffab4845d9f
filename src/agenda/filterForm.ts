import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import type { Place } from '../places/index.ts';
import { RANGE_NAMES } from './agendaQuery.ts';

/** The query string of an agenda page (and its feeds and API): `tag` may be given several times. */
export interface AgendaQueryString {
  range?: string;
  from?: string;
  to?: string;
  tag?: string | string[];
  venue?: string;
  q?: string;
  free?: string;
  cursor?: string;
  view?: string;
  month?: string;
}

/** The tags asked for, whether the query gave `tag` once, several times or not at all. */
export function tagsOf(query: AgendaQueryString): string[] {
  if (query.tag === undefined) return [];
  return (Array.isArray(query.tag) ? query.tag : [query.tag]).filter((t) => t !== '');
}

/** Above this many venues, the venue filter is a text field (a select of hundreds helps nobody and costs every page). */
export const VENUE_SELECT_MAX = 100;

/** How many filters the query sets (the period apart from the default "upcoming"), said on the closed disclosure. */
function activeCount(query: AgendaQueryString): number {
  return [
    query.range && query.range !== 'upcoming',
    query.from,
    query.to,
    tagsOf(query).length > 0,
    query.venue,
    query.q,
    query.free === '1',
  ].filter(Boolean).length;
}

/**
 * The tag choices: one checkbox per tag in use, drawn as a chip; a tag asked for by a link
 * (`/agenda?tag=…`) that no upcoming event carries any more is kept, checked, so it can be unticked.
 */
function tagChoices(request: FastifyRequest, query: AgendaQueryString, tags: string[]): Html | '' {
  const { t } = request.ctx;
  const asked = tagsOf(query);
  const all = [...tags, ...asked.filter((tag) => !tags.includes(tag))];
  if (!all.length) return '';
  return html`<fieldset class="chips"><legend>${t('agenda.filter.tags')}</legend>${all.map(
    (tag) =>
      html`<label class="chip"><input type="checkbox" name="tag" value="${tag}"${asked.includes(tag) ? html` checked` : ''}><span>#${tag}</span></label>`,
  )}</fieldset>`;
}

/**
 * The agenda's filters, inside a disclosure: closed on a phone (the events come first; the summary says
 * how many filters are on), opened on a wide screen by /static/agenda/filters.js unless `openWide` is
 * false (a venue's page, where its next events come first).
 */
export function filterForm(
  request: FastifyRequest,
  action: string,
  query: AgendaQueryString,
  places: Place[] | 'input' | null,
  tags: string[],
  options: { openWide: boolean } = { openWide: true },
): Html {
  const { t } = request.ctx;
  const range = query.range ?? 'upcoming';
  const active = activeCount(query);
  return html`<details class="filters-box"${options.openWide ? html` data-open-wide` : ''}>
<summary>${t('agenda.filter.summary')}${active ? html` <span class="badge">${t('agenda.filter.active', { count: active })}</span>` : ''}</summary>
<form method="get" action="${action}" class="filters" role="search">
${query.view === 'month' ? html`<input type="hidden" name="view" value="month">${query.month ? html`<input type="hidden" name="month" value="${query.month}">` : ''}` : ''}
<div class="field"><label for="range">${t('agenda.filter.range')}</label><select id="range" name="range">${RANGE_NAMES.map(
    (r) => html`<option value="${r}"${r === range ? html` selected` : ''}>${t(`agenda.range.${r}`)}</option>`,
  )}</select></div>
<div class="row"><div class="field"><label for="from">${t('agenda.filter.from')}</label><input id="from" name="from" type="date" value="${query.from ?? ''}"></div>
<div class="field"><label for="to">${t('agenda.filter.to')}</label><input id="to" name="to" type="date" value="${query.to ?? ''}"></div></div>
${tagChoices(request, query, tags)}
${places === 'input' ? html`<div class="field"><label for="venue">${t('agenda.filter.venue')}</label><input id="venue" name="venue" value="${query.venue ?? ''}" maxlength="60"></div>` : ''}
${
  places && places !== 'input'
    ? html`<div class="field"><label for="venue">${t('agenda.filter.venue')}</label><select id="venue" name="venue"><option value="">${t('agenda.filter.allVenues')}</option>${places.map(
        (p) => html`<option value="${p.slug}"${p.slug === query.venue ? html` selected` : ''}>${p.name}</option>`,
      )}</select></div>`
    : ''
}
<div class="field"><label for="q">${t('agenda.filter.text')}</label><input id="q" name="q" type="search" value="${query.q ?? ''}" maxlength="200"></div>
<label class="check"><input type="checkbox" name="free" value="1"${query.free === '1' ? html` checked` : ''}> ${t('agenda.filter.free')}</label>
<p class="actions"><button type="submit">${t('agenda.filter.submit')}</button>${active ? html` <a href="${action}${query.view === 'month' ? '?view=month' : ''}">${t('agenda.filter.clear')}</a>` : ''}</p>
</form>
</details>
<script type="module" src="/static/agenda/filters.js"></script>`;
}
