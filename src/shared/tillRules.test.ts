// The rules the till in the browser and the server share (tillRules.js): the same module on both sides,
// so these tests hold for the till's cart and for the server's sale alike.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ARTICLE_KINDS,
  banknotesFor,
  changeCents,
  lineAmountCents,
  MAX_QUANTITY,
  normaliseUid,
  parseEuros,
  presetsFor,
} from './tillRules.js';
import { parseEuros as serverParseEuros } from './money.ts';
import { normaliseUid as serverNormaliseUid } from '../cards/cards.ts';
import { ARTICLE_KINDS as serverKinds } from '../till/tables.ts';
import { MAX_QUANTITY as serverMaxQuantity } from '../till/recordSale.ts';

test('the server uses the shared rules themselves, not copies', () => {
  assert.equal(serverParseEuros, parseEuros);
  assert.equal(serverNormaliseUid, normaliseUid);
  assert.equal(serverKinds, ARTICLE_KINDS);
  assert.equal(serverMaxQuantity, MAX_QUANTITY);
});

test('amounts typed by a person, in cents', () => {
  const cases: [string, number | null][] = [
    ['12', 1200],
    ['12,5', 1250],
    ['12.50', 1250],
    ['0,05', 5],
    ['1 200,00', 120000],
    ['3\u202f000', 300000],
    ['7 €', 700],
    ['999999999', 99999999900],
    ['', null],
    ['-3', null],
    ['1,234', null],
    ['12,', null],
    ['1e3', null],
    ['douze', null],
    ['1234567890', null],
  ];
  for (const [typed, cents] of cases) assert.equal(parseEuros(typed), cents, typed);
});

test('card UIDs: 4, 7 or 10 bytes of hex, separators and case ignored', () => {
  assert.equal(normaliseUid('04:a2:3b:4c'), '04A23B4C');
  assert.equal(normaliseUid('04 A2 3B 4C 5D 6E 7F'), '04A23B4C5D6E7F');
  assert.equal(normaliseUid('04-a2-3b-4c-5d-6e-7f-80-91-a2'), '04A23B4C5D6E7F8091A2');
  for (const bad of ['04a23b', '04a23b4c5d', 'zz:a2:3b:4c', '', null, undefined, 42, { uid: '04a23b4c' }])
    assert.equal(normaliseUid(bad), null, String(bad));
});

test('a line’s euros: negative when money goes back, none for gift credit and free articles', () => {
  assert.deepEqual(
    ARTICLE_KINDS.map((kind) => [kind, lineAmountCents(kind, 250, 2)]),
    [
      ['sale', 500],
      ['top_up', 500],
      ['cash_out', -500],
      ['membership', 500],
      ['deposit', 500],
      ['deposit_return', -500],
      ['gift_top_up', 0],
      ['free', 0],
    ],
  );
});

test('cash handed over: the change, what is short, nothing said', () => {
  assert.equal(changeCents(400, 500), 100);
  assert.equal(changeCents(400, 400), 0);
  assert.equal(changeCents(1250, 2000), 750);
  assert.equal(changeCents(1250, 1000), -250, 'short: negative, the till says what is missing');
  assert.equal(changeCents(400, null), 0, 'no amount said: nothing to give back');
});

test('the banknotes offered pay the amount alone, smallest first', () => {
  assert.deepEqual(banknotesFor(400), [500, 1000, 2000, 5000]);
  assert.deepEqual(banknotesFor(500), [500, 1000, 2000, 5000], 'a note of exactly the amount is offered');
  assert.deepEqual(banknotesFor(501), [1000, 2000, 5000]);
  assert.deepEqual(banknotesFor(1250), [2000, 5000]);
  assert.deepEqual(banknotesFor(5000), [5000]);
  assert.deepEqual(banknotesFor(5001), [], 'over the largest note: the amount is typed');
});

test('one-tap amounts for top-ups and gift credit only', () => {
  assert.deepEqual(presetsFor('top_up'), [500, 1000, 2000, 5000]);
  assert.deepEqual(presetsFor('gift_top_up'), [500, 1000, 2000, 5000]);
  for (const kind of ARTICLE_KINDS.filter((k) => k !== 'top_up' && k !== 'gift_top_up'))
    assert.deepEqual(presetsFor(kind), [], kind);
});

test('the module needs neither Node nor the DOM: the browser loads it as is', () => {
  const source = readFileSync(new URL('./tillRules.js', import.meta.url), 'utf8');
  assert.doesNotMatch(source, /^\s*import\s/m, 'no imports');
  assert.doesNotMatch(source, /\b(process|require|window|document|Buffer)\b/);
});
