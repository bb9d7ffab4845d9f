import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daysBetween, localDate, parseLocalDateTime, shiftLocal, zonedToInstant } from './zonedTime.ts';

describe('zoned time', () => {
  const at = (s: string, zone: string) => zonedToInstant(parseLocalDateTime(s)!, zone).toISOString();

  test('local wall-clock times to instants, in zones with and without DST', () => {
    assert.equal(at('2026-12-05T20:00', 'Indian/Reunion'), '2026-12-05T16:00:00.000Z');
    assert.equal(at('2027-01-15T20:00', 'Europe/Paris'), '2027-01-15T19:00:00.000Z');
    assert.equal(at('2027-07-15T20:00', 'Europe/Paris'), '2027-07-15T18:00:00.000Z');
    assert.equal(at('2027-07-15T20:00', 'America/Sao_Paulo'), '2027-07-15T23:00:00.000Z');
    assert.equal(at('2027-07-15T20:00', 'UTC'), '2027-07-15T20:00:00.000Z');
  });

  test('a time skipped by the spring DST jump resolves after it; a repeated autumn time to its first occurrence', () => {
    // Paris, 28 March 2027: 02:00 → 03:00. 02:30 does not exist.
    assert.equal(at('2027-03-28T02:30', 'Europe/Paris'), '2027-03-28T01:30:00.000Z');
    // Paris, 31 October 2027: 03:00 → 02:00. 02:30 happens twice; the first is 00:30Z.
    assert.equal(at('2027-10-31T02:30', 'Europe/Paris'), '2027-10-31T00:30:00.000Z');
  });

  test('parsing refuses impossible calendar times', () => {
    for (const bad of [
      '2027-02-29T10:00',
      '2027-13-01T10:00',
      '2027-01-01T24:00',
      '2027-01-01',
      'demain 20h',
      '2027-01-01T10:60',
    ]) {
      assert.equal(parseLocalDateTime(bad), null, bad);
    }
    assert.deepEqual(parseLocalDateTime('2028-02-29 10:00'), { year: 2028, month: 2, day: 29, hour: 10, minute: 0 });
  });

  test('shifts keep the wall-clock time and clamp the month end', () => {
    const start = zonedToInstant({ year: 2027, month: 3, day: 27, hour: 20, minute: 0 }, 'Europe/Paris');
    assert.equal(shiftLocal(start, 'Europe/Paris', { days: 1 }).toISOString(), '2027-03-28T18:00:00.000Z');
    const jan31 = zonedToInstant({ year: 2028, month: 1, day: 31, hour: 9, minute: 0 }, 'Indian/Reunion');
    assert.equal(localDate(shiftLocal(jan31, 'Indian/Reunion', { months: 1 }), 'Indian/Reunion'), '2028-02-29');
    assert.equal(localDate(shiftLocal(jan31, 'Indian/Reunion', { months: 12 }), 'Indian/Reunion'), '2029-01-31');
    assert.equal(daysBetween('2027-12-30', '2028-01-02'), 3);
    // A late-evening UTC instant is already the next day in Réunion.
    assert.equal(localDate(new Date('2027-06-01T22:30:00Z'), 'Indian/Reunion'), '2027-06-02');
  });
});
