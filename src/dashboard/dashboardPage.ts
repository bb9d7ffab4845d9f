import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import { localeOf } from '../i18n/i18n.ts';
import { adminNav } from '../places/index.ts';
import { formatEuros } from '../shared/money.ts';
import { barChart } from './barChart.ts';
import type { DashboardModel, DatedFigures } from './dashboardModel.ts';

type Context = FastifyRequest;

const euros = (request: Context) => (cents: number) => formatEuros(cents, request.ctx.lang);

function dayTime(request: Context, d: Date, timeZone: string, withDay: boolean): string {
  return new Intl.DateTimeFormat(localeOf(request.ctx.lang), {
    ...(withDay ? { weekday: 'short', day: 'numeric', month: 'short' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
  }).format(d);
}

function fill(request: Context, f: DatedFigures['figures']): string {
  const { t } = request.ctx;
  return f.capacity === null
    ? t('dashboard.soldNoCapacity', { sold: f.sold })
    : t('dashboard.soldOfCapacity', { sold: f.sold, capacity: f.capacity });
}

function datesTable(request: Context, place: DashboardModel['place'], dates: DatedFigures[], withDay: boolean): Html {
  const { t } = request.ctx;
  return html`<div class="table-scroll"><table class="list">
<thead><tr><th scope="col">${t('dashboard.col.event')}</th><th scope="col">${t('dashboard.col.when')}</th><th scope="col" class="num">${t('dashboard.col.sold')}</th><th scope="col" class="num">${t('dashboard.col.entries')}</th></tr></thead>
<tbody>${dates.map(
    ({ date, figures }) =>
      html`<tr><td><a href="/venues/${place.slug}/admin/events/${date.eventId}/tickets">${date.title}</a>${date.state === 'published' ? '' : html` <small>(${t(`dashboard.state.${date.state}`)})</small>`}</td>
<td>${dayTime(request, date.startsAt, date.timezone, withDay)}</td><td class="num">${fill(request, figures)}</td><td class="num">${figures.checkedIn}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The "tonight" panel: the till's business day so far and tonight's dates; refreshed in place every minute. */
export function tonightPanel(
  request: Context,
  model: Pick<DashboardModel, 'place' | 'now' | 'tonight' | 'tonightDates'>,
): Html {
  const { t } = request.ctx;
  const eur = euros(request);
  const { tonight, place } = model;
  const total = tonight.points.reduce((s, p) => s + p.itemsCents, 0);
  const sales = tonight.points.reduce((s, p) => s + p.sales, 0);
  const topUps = tonight.points.reduce((s, p) => s + p.topUpCents, 0);
  const sold = model.tonightDates.reduce((s, d) => s + d.figures.sold, 0);
  const entries = model.tonightDates.reduce((s, d) => s + d.figures.checkedIn, 0);
  const hourLabel = (h: number) => `${String(h).padStart(2, '0')}h`;
  return html`<h2 id="tonight-title">${t('dashboard.tonight', { day: tonight.businessDay })}</h2>
<p class="hint">${t('dashboard.updatedAt', { time: dayTime(request, model.now, tonight.timezone, false) })}</p>
<dl class="tiles">
<div><dt>${t('dashboard.tile.sales')}</dt><dd>${eur(total)}</dd><dd class="hint">${t('dashboard.tile.salesCount', { count: sales })}</dd></div>
<div><dt>${t('dashboard.tile.topUps')}</dt><dd>${eur(topUps)}</dd></div>
<div><dt>${t('dashboard.tile.entries')}</dt><dd>${entries} / ${sold}</dd><dd class="hint">${t('dashboard.tile.entriesHint')}</dd></div>
</dl>
${
  sales === 0
    ? html`<p>${t('dashboard.noSalesYet')} <a href="/venues/${place.slug}/admin/till/setup">${t('dashboard.tillSetup')}</a></p>`
    : barChart({
        id: 'chart-hours',
        title: t('dashboard.chart.hours'),
        description: t('dashboard.chart.hoursDesc', { total: eur(total), count: sales }),
        categories: tonight.hours.map((h) => hourLabel(h.hour)),
        series: [{ name: t('dashboard.series.sales'), values: tonight.hours.map((h) => h.itemsCents) }],
        format: eur,
        numbersLabel: t('dashboard.numbers'),
        categoryLabel: t('dashboard.col.hour'),
        empty: t('dashboard.empty'),
      })
}
${
  tonight.points.length === 0
    ? ''
    : html`<div class="table-scroll"><table class="list"><caption>${t('dashboard.points')}</caption>
<thead><tr><th scope="col">${t('dashboard.col.point')}</th><th scope="col" class="num">${t('dashboard.col.salesCount')}</th><th scope="col" class="num">${t('dashboard.col.total')}</th><th scope="col" class="num">${t('dashboard.col.topUps')}</th><th scope="col" class="num">${t('dashboard.col.cash')}</th></tr></thead>
<tbody>${tonight.points.map(
        (p) =>
          html`<tr><th scope="row">${p.pointName}</th><td class="num">${p.sales}</td><td class="num">${eur(p.itemsCents)}</td><td class="num">${eur(p.topUpCents)}</td><td class="num">${eur(p.expectedCashCents)}</td></tr>`,
      )}</tbody></table></div>
<p class="hint">${t('dashboard.cashHint')} <a href="/venues/${place.slug}/admin/till/closures">${t('dashboard.closures')}</a></p>`
}
${
  model.tonightDates.length === 0
    ? html`<p>${t('dashboard.noDateTonight')}</p>`
    : html`<h3>${t('dashboard.tonightDates')}</h3>${datesTable(request, place, model.tonightDates, false)}`
}`;
}

export function dashboardPage(request: Context, model: DashboardModel): Html {
  const { t } = request.ctx;
  const eur = euros(request);
  const { place, season } = model;
  const weekLabel = (monday: string) =>
    new Intl.DateTimeFormat(localeOf(request.ctx.lang), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
      new Date(`${monday}T12:00:00Z`),
    );
  const weekCategories = season.weeks.map(weekLabel);
  const withCapacity = model.week.filter((d) => d.figures.capacity !== null);
  const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
  return html`${adminNav(request, place, 'dashboard')}
<section id="tonight" class="dashboard-panel" aria-labelledby="tonight-title" data-refresh="/venues/${place.slug}/admin/dashboard/tonight">
${tonightPanel(request, model)}
</section>
<section class="dashboard-panel" aria-labelledby="week-title">
<h2 id="week-title">${t('dashboard.week')}</h2>
${
  model.week.length === 0
    ? html`<p>${t('dashboard.noDateWeek')} <a href="/venues/${place.slug}/admin/events">${t('dashboard.events')}</a></p>`
    : html`${
        withCapacity.length === 0
          ? ''
          : barChart({
              id: 'chart-week',
              title: t('dashboard.chart.week'),
              description: t('dashboard.chart.weekDesc', {
                sold: sum(withCapacity.map((d) => d.figures.sold)),
                capacity: sum(withCapacity.map((d) => d.figures.capacity ?? 0)),
              }),
              categories: withCapacity.map(
                (d) => `${d.date.title.slice(0, 14)} ${dayTime(request, d.date.startsAt, d.date.timezone, true)}`,
              ),
              series: [
                { name: t('dashboard.series.sold'), values: withCapacity.map((d) => d.figures.sold) },
                { name: t('dashboard.series.capacity'), values: withCapacity.map((d) => d.figures.capacity ?? 0) },
              ],
              format: (v) => String(v),
              numbersLabel: t('dashboard.numbers'),
              categoryLabel: t('dashboard.col.event'),
              empty: t('dashboard.emptyWeek'),
            })
      }${datesTable(request, place, model.week, true)}`
}
</section>
<section class="dashboard-panel" aria-labelledby="season-title">
<h2 id="season-title">${t('dashboard.season', { weeks: season.weeks.length })}</h2>
${barChart({
  id: 'chart-till-weeks',
  title: t('dashboard.chart.tillWeeks'),
  description: t('dashboard.chart.tillWeeksDesc', { total: eur(sum(season.tillCents)), weeks: season.weeks.length }),
  categories: weekCategories,
  series: [{ name: t('dashboard.series.sales'), values: season.tillCents }],
  format: eur,
  numbersLabel: t('dashboard.numbers'),
  categoryLabel: t('dashboard.col.week'),
  empty: t('dashboard.empty'),
})}
${barChart({
  id: 'chart-ticket-weeks',
  title: t('dashboard.chart.ticketWeeks'),
  description: t('dashboard.chart.ticketWeeksDesc', { count: sum(season.tickets), weeks: season.weeks.length }),
  categories: weekCategories,
  series: [{ name: t('dashboard.series.tickets'), values: season.tickets }],
  format: (v) => String(v),
  numbersLabel: t('dashboard.numbers'),
  categoryLabel: t('dashboard.col.week'),
  empty: t('dashboard.empty'),
})}
${barChart({
  id: 'chart-members',
  title: t('dashboard.chart.members'),
  description: t('dashboard.chart.membersDesc', { count: sum(season.newMembers), active: season.activeMembers }),
  categories: weekCategories,
  series: [{ name: t('dashboard.series.newMembers'), values: season.newMembers }],
  format: (v) => String(v),
  numbersLabel: t('dashboard.numbers'),
  categoryLabel: t('dashboard.col.week'),
  empty: t('dashboard.empty'),
})}
<p>${t('dashboard.activeMembers', { count: season.activeMembers })} <a href="/venues/${place.slug}/admin/memberships">${t('dashboard.memberships')}</a></p>
${
  season.perEvent.length === 0
    ? ''
    : html`<div class="table-scroll"><table class="list"><caption>${t('dashboard.perEvent')}</caption>
<thead><tr><th scope="col">${t('dashboard.col.event')}</th><th scope="col" class="num">${t('dashboard.col.sold')}</th></tr></thead>
<tbody>${season.perEvent.map(
        (e) =>
          html`<tr><th scope="row">${e.title}</th><td class="num">${e.capacity === null ? t('dashboard.soldNoCapacity', { sold: e.sold }) : t('dashboard.soldOfCapacity', { sold: e.sold, capacity: e.capacity })}</td></tr>`,
      )}</tbody></table></div>`
}
</section>
${
  model.settlement
    ? html`<section class="dashboard-panel" aria-labelledby="settlement-title">
<h2 id="settlement-title">${t('dashboard.settlement')}</h2>
<dl class="tiles">
<div><dt>${t('dashboard.owed.tokens', { currency: model.settlement.currency })}</dt><dd>${eur(model.settlement.position.tokensCents)}</dd></div>
<div><dt>${t('dashboard.owed.cash')}</dt><dd>${eur(model.settlement.position.cashCents)}</dd></div>
<div><dt>${t('dashboard.owed.position')}</dt><dd>${eur(model.settlement.position.positionCents)}</dd></div>
</dl>
<p><a href="/venues/${place.slug}/admin/settlement">${t('dashboard.settlementLink')}</a></p>
</section>`
    : ''
}
<script src="/static/dashboard.js" defer></script>`;
}
