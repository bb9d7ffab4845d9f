import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  availabilityName,
  bandOf,
  decide,
  DEBOUNCE_MS,
  nextUpdated,
  SOLD_OUT,
  UNLIMITED,
} from './availabilityBands.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 11, 5, 18) + ms);
const band = (remaining: number, capacity = 300) => bandOf({ capacity, remaining });

describe('availability bands (docs/FEDERATION.md, "Live availability")', () => {
  test('capacity 300: 50 % = 150, 20 % = 60, 10 places, 0 — at or below a threshold is below it', () => {
    assert.equal(band(300), '4');
    assert.equal(band(151), '4');
    assert.equal(band(150), '3');
    assert.equal(band(61), '3');
    assert.equal(band(60), '2');
    assert.equal(band(11), '2');
    assert.equal(band(10), '1');
    assert.equal(band(1), '1');
    assert.equal(band(0), SOLD_OUT);
    assert.equal(bandOf({ capacity: null, remaining: null }), UNLIMITED);
  });

  test('every crossing changes the band, going down and coming back up (a refund reopens), and nothing else does', () => {
    for (const capacity of [300, 40, 20, 12, 5, 1]) {
      const thresholds = [0, 10, capacity * 0.2, capacity * 0.5];
      for (let r = capacity; r > 0; r--) {
        const crossed = thresholds.some((t) => r > t && r - 1 <= t);
        assert.equal(band(r, capacity) !== band(r - 1, capacity), crossed, `${capacity}: ${r} → ${r - 1}`);
        assert.equal(band(r - 1, capacity) !== band(r, capacity), crossed, `${capacity}: ${r - 1} → ${r}`);
      }
    }
  });

  test('availability: InStock above 20 % (or unlimited), Limited at or below 20 % or 10 places, SoldOut at 0', () => {
    const cases: [number | null, number | null, string][] = [
      [null, null, 'InStock'],
      [201, 1000, 'InStock'],
      [200, 1000, 'LimitedAvailability'],
      [11, 40, 'InStock'],
      [10, 40, 'LimitedAvailability'],
      [0, 40, 'SoldOut'],
    ];
    for (const [remaining, capacity, name] of cases) assert.equal(availabilityName(remaining, capacity), name);
  });
});

describe('when a threshold Update leaves', () => {
  const last = (b: string | null, sentAt: Date | null) => ({ band: b, sentAt });

  test('no crossing: nothing; a row from before the migration: its band adopted silently', () => {
    assert.deepEqual(decide('3', last('3', at(0)), at(1000)), { kind: 'none' });
    assert.deepEqual(decide('3', last(null, null), at(0)), { kind: 'adopt' });
  });

  test('a crossing outside the window leaves at once, either way', () => {
    assert.deepEqual(decide('3', last('4', null), at(0)), { kind: 'send', immediate: false });
    assert.deepEqual(decide('3', last('4', at(0)), at(DEBOUNCE_MS)), { kind: 'send', immediate: false });
    assert.deepEqual(decide('4', last('3', at(0)), at(DEBOUNCE_MS + 1)), { kind: 'send', immediate: false });
  });

  test('crossings inside the window wait for its end, and are then sent once with the numbers of then', () => {
    const sent = at(0);
    // 150 → 60 → 11 places left inside the window: each check says wait until the same end.
    for (const [b, ms] of [
      ['3', 1000],
      ['2', 60_000],
      ['2', DEBOUNCE_MS - 1],
    ] as const)
      assert.deepEqual(decide(b, last('4', sent), at(ms)), { kind: 'wait', dueAt: at(DEBOUNCE_MS) });
    // At the window's end: one Update, carrying the band of then.
    assert.deepEqual(decide('2', last('4', sent), at(DEBOUNCE_MS)), { kind: 'send', immediate: false });
    // Crossed and crossed back inside the window: peers already have the right band, nothing leaves.
    assert.deepEqual(decide('4', last('4', sent), at(DEBOUNCE_MS)), { kind: 'none' });
  });

  test('sold out, and reopened, leave at once, even inside the window', () => {
    assert.deepEqual(decide(SOLD_OUT, last('1', at(0)), at(1000)), { kind: 'send', immediate: true });
    assert.deepEqual(decide('1', last(SOLD_OUT, at(1000)), at(2000)), { kind: 'send', immediate: true });
    assert.deepEqual(decide('3', last(SOLD_OUT, at(1000)), at(2000)), { kind: 'send', immediate: true });
  });

  test('each object sent carries a later `updated` than the one before, even within one millisecond', () => {
    assert.deepEqual(nextUpdated(null, at(5)), at(5));
    assert.deepEqual(nextUpdated(at(3), at(5)), at(5));
    assert.deepEqual(nextUpdated(at(5), at(5)), at(6));
    assert.deepEqual(nextUpdated(at(9), at(5)), at(10));
  });
});
