import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays, endOfValidity, isDay, today } from './validity.ts';

test('end of validity for each rule, including month ends, leap years and school years', () => {
  const cases: [Parameters<typeof endOfValidity>, string | null][] = [
    [['days', 1, '2026-11-25'], '2026-11-25'],
    [['days', 30, '2026-11-25'], '2026-12-24'],
    [['days', 365, '2028-01-01'], '2028-12-30'], // 2028 is a leap year
    [['months', 1, '2026-11-25'], '2026-12-24'],
    [['months', 12, '2026-03-01'], '2027-02-28'],
    [['months', 1, '2027-01-31'], '2027-02-28'], // no 31 February: to the end of February
    [['months', 1, '2028-01-31'], '2028-02-29'],
    [['months', 1, '2026-12-15'], '2027-01-14'],
    [['months', 13, '2026-12-31'], '2028-01-30'],
    [['calendar_year', 0, '2026-02-10'], '2026-12-31'],
    [['school_year', 9, '2026-10-01'], '2027-08-31'],
    [['school_year', 9, '2027-06-30'], '2027-08-31'],
    [['school_year', 9, '2026-09-01'], '2027-08-31'],
    [['school_year', 9, '2026-08-31'], '2026-08-31'],
    [['school_year', 1, '2026-05-05'], '2026-12-31'],
    [['school_year', 3, '2028-01-10'], '2028-02-29'],
    [['lifetime', 0, '2026-11-25'], null],
  ];
  for (const [args, expected] of cases) assert.equal(endOfValidity(...args), expected, args.join(' '));
});

test('calendar days: parsing, arithmetic and today in a time zone', () => {
  assert.equal(isDay('2026-02-28'), true);
  assert.equal(isDay('2026-02-29'), false);
  assert.equal(isDay('2026-2-1'), false);
  assert.equal(isDay(20260101), false);
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  // 22:30 UTC on 25 November is already 26 November in La Réunion (UTC+4).
  const late = new Date('2026-11-25T22:30:00Z');
  assert.equal(today('UTC', late), '2026-11-25');
  assert.equal(today('Indian/Reunion', late), '2026-11-26');
});
