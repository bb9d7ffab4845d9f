import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart, niceStep } from './barChart.ts';

const chart = (values: number[][]) =>
  barChart({
    id: 'c1',
    title: 'Ventes & <entrées>',
    description: 'Deux séries',
    categories: values[0]!.map((_, i) => `h${i}`),
    series: values.map((v, k) => ({ name: `s${k}`, values: v })),
    format: (v) => `${v} €`,
    numbersLabel: 'Les chiffres',
    categoryLabel: 'Heure',
    empty: 'Rien encore',
  }).value;

test('the value axis steps by 1, 2 or 5 times a power of ten', () => {
  assert.deepEqual([0, 3, 40, 99, 1234, 50_000].map(niceStep), [1, 1, 10, 50, 500, 20_000]);
});

test('a chart is an accessible SVG whose numbers are in a table behind a disclosure', () => {
  const out = chart([
    [120, 0, 480],
    [10, 20, 30],
  ]);
  assert.match(out, /<svg role="img" aria-labelledby="c1-title c1-desc"/);
  assert.match(out, /<title id="c1-title">Ventes &amp; &lt;entrées&gt;<\/title><desc id="c1-desc">Deux séries<\/desc>/);
  assert.match(out, /<details><summary>Les chiffres<\/summary>/);
  const cells = [...out.matchAll(/data-value="(-?\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(cells, [120, 10, 0, 20, 480, 30], 'row by category, a column per series');
  assert.equal((out.match(/<rect x=/g) ?? []).length, 6, 'one bar per category and series');
  assert.match(out, /<ul class="chart-legend">/, 'two series get a legend');
  // The axis goes past the tallest bar by round steps (480: steps of 200, up to 600).
  assert.match(out, />600 €<\/text>/);
  assert.doesNotMatch(out, />800 €<\/text>/);
  assert.doesNotMatch(chart([[5, 6]]), /chart-legend/, 'one series needs no legend');
  const flat = chart([[0, 0, 0]]);
  assert.match(flat, /<p class="hint">Rien encore<\/p>/, 'all zero: a sentence, not a flat chart');
  assert.doesNotMatch(flat, /<svg/);
});
