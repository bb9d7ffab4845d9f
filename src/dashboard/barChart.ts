import { html, type Html } from '../http/html.ts';

/** A bar chart drawn on the server: one bar per category and series, grouped. */
export interface BarChart {
  /** Unique in the page: prefixes the ids the SVG's title and description are named by. */
  id: string;
  title: string;
  /** One sentence a screen reader reads after the title: what the chart shows and its main figure. */
  description: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  /** How a value reads (euros, a count). */
  format: (value: number) => string;
  /** The disclosure's label ("Les chiffres"), and the first column's heading. */
  numbersLabel: string;
  categoryLabel: string;
  /** Said instead of a flat chart when every value is zero. */
  empty: string;
}

const WIDTH = 640;
const HEIGHT = 200;
const LEFT = 64;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 40;
/** Colours with at least 3:1 contrast on white, told apart without colour by the legend's order and the table. */
export const SERIES_COLOURS = ['#0b5e55', '#b3541e', '#3d5a98', '#7a4b94', '#5b6b2f'];

/** A round step for the value axis: 1, 2 or 5 times a power of ten, about four lines. */
export function niceStep(max: number): number {
  if (max <= 0) return 1;
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return Math.max(1, step);
}

/**
 * The chart as an accessible SVG (role img, title and description) with the same numbers in a table
 * behind a disclosure: what the chart draws is what the table says, for screen readers and for tests.
 */
export function barChart(chart: BarChart): Html {
  const { id, categories, series } = chart;
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  if (max === 0)
    return html`<figure class="chart" id="${id}"><figcaption>${chart.title}</figcaption><p class="hint">${chart.empty}</p></figure>`;
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const y = (v: number) => TOP + plotH - (Math.max(0, v) / top) * plotH;
  const band = plotW / Math.max(1, categories.length);
  const barW = Math.max(2, (band * 0.8) / Math.max(1, series.length));
  // Label every category when they fit, else one in n.
  const every = Math.max(1, Math.ceil(categories.length / 12));
  const grid: Html[] = [];
  for (let v = 0; v <= top; v += step)
    grid.push(
      html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#d0d0d0"/><text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${chart.format(v)}</text>`,
    );
  const bars = categories.map((category, i) =>
    series.map((s, k) => {
      const value = s.values[i] ?? 0;
      const x = LEFT + i * band + band * 0.1 + k * barW;
      return html`<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(TOP + plotH - y(value)).toFixed(1)}" fill="${SERIES_COLOURS[k % SERIES_COLOURS.length]!}"><title>${category}${series.length > 1 ? ` — ${s.name}` : ''} : ${chart.format(value)}</title></rect>`;
    }),
  );
  const labels = categories.map((category, i) =>
    i % every === 0
      ? html`<text x="${(LEFT + i * band + band / 2).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" fill="#444">${category}</text>`
      : '',
  );
  const legend =
    series.length > 1
      ? html`<ul class="chart-legend">${series.map(
          (s, k) =>
            html`<li><svg aria-hidden="true" width="12" height="12" viewBox="0 0 12 12"><rect width="12" height="12" fill="${SERIES_COLOURS[k % SERIES_COLOURS.length]!}"/></svg> ${s.name}</li>`,
        )}</ul>`
      : '';
  return html`<figure class="chart" id="${id}">
<figcaption>${chart.title}</figcaption>
<svg role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="xMidYMid meet">
<title id="${id}-title">${chart.title}</title><desc id="${id}-desc">${chart.description}</desc>
${grid}${bars}${labels}
<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${TOP + plotH}" y2="${TOP + plotH}" stroke="#444"/>
</svg>
${legend}
<details><summary>${chart.numbersLabel}</summary>
<div class="table-scroll"><table class="list chart-data"><caption class="visually-hidden">${chart.title}</caption>
<thead><tr><th scope="col">${chart.categoryLabel}</th>${series.map((s) => html`<th scope="col" class="num">${s.name}</th>`)}</tr></thead>
<tbody>${categories.map((category, i) => html`<tr><th scope="row">${category}</th>${series.map((s) => html`<td class="num" data-value="${s.values[i] ?? 0}">${chart.format(s.values[i] ?? 0)}</td>`)}</tr>`)}</tbody>
</table></div></details>
</figure>`;
}
