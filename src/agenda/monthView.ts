import type { FastifyRequest } from 'fastify';
import { localeOf } from '../i18n/i18n.ts';
import { html, type Html } from '../http/html.ts';
import type { AgendaItem } from './agendaQuery.ts';
import { itemPath } from './views.ts';
import { localDate } from './zonedTime.ts';

/**
 * The month as a calendar grid: one cell per day (in the zone), Monday first, today marked
 * (aria-current="date"), each event with its start time. On a phone the same table reads as a
 * list of the days that have something (style.css: table.month under 40rem), so nothing scrolls
 * sideways.
 */
export function monthGrid(
  request: FastifyRequest,
  month: string,
  items: AgendaItem[],
  timeZone: string,
  now = new Date(),
): Html {
  const { t, lang } = request.ctx;
  const locale = localeOf(lang);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(y, m - 1, 1));
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const today = localDate(now, timeZone);
  const byDay = new Map<string, AgendaItem[]>();
  for (const i of items) {
    const key = localDate(i.startsAt, timeZone);
    byDay.set(key, [...(byDay.get(key) ?? []), i]);
  }
  const weekday = new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' });
  const weekdays = Array.from({ length: 7 }, (_, i) => weekday.format(new Date(Date.UTC(2024, 0, 1 + i))));
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone });
  const cells: Html[] = [];
  for (let i = 0; i < lead; i++) cells.push(html`<td class="pad"></td>`);
  for (let d = 1; d <= days; d++) {
    const key = `${month}-${String(d).padStart(2, '0')}`;
    const list = byDay.get(key) ?? [];
    const isToday = key === today;
    const classes = ['day', isToday ? 'today' : '', list.length ? '' : 'empty'].filter(Boolean).join(' ');
    cells.push(
      html`<td class="${classes}"${isToday ? html` aria-current="date"` : ''}><span class="day-number"><span class="wd">${weekday.format(new Date(Date.UTC(y, m - 1, d)))} </span>${d}${isToday ? html` <span class="today-label">${t('browse.today')}</span>` : ''}</span>${
        list.length
          ? html`<ul>${list.map(
              (i) =>
                html`<li${i.state === 'cancelled' ? html` class="cancelled"` : ''}><time datetime="${i.startsAt.toISOString()}">${time.format(i.startsAt)}</time> <a href="${itemPath(i)}">${i.title}</a>${i.state === 'cancelled' ? html` (${t('agenda.state.cancelled')})` : ''}</li>`,
            )}</ul>`
          : ''
      }</td>`,
    );
  }
  while (cells.length % 7) cells.push(html`<td class="pad"></td>`);
  const rows: Html[] = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(html`<tr>${cells.slice(i, i + 7)}</tr>`);
  const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  const title = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(first);
  const empty = items.length === 0;
  return html`<nav class="month-nav" aria-label="${title}"><a href="?view=month&amp;month=${prev}" rel="prev">${t('agenda.prevMonth')}</a> <a href="?view=month&amp;month=${next}" rel="next">${t('agenda.nextMonth')}</a></nav>
<table class="month"><caption>${title}</caption>
<thead><tr>${weekdays.map((w) => html`<th scope="col">${w}</th>`)}</tr></thead><tbody>${rows}</tbody></table>
${empty ? html`<p>${t('agenda.empty')}</p>` : ''}`;
}
