import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FieldErrors } from '../shared/errors.ts';
import { expandRecurrence, rruleText, type RecurrenceRule } from './recurrence.ts';
import { readRecurrence, recurrenceAsInput, type RecurrenceInput } from './recurrenceInput.ts';
import { localParts } from './zonedTime.ts';

// The zones are data given to the rule, as a venue's setting would be: one with DST, one without.
const PARIS = 'Europe/Paris';
const REUNION = 'Indian/Reunion';

const rule = (r: Partial<RecurrenceRule>): RecurrenceRule => ({
  frequency: 'weekly',
  interval: 1,
  weekdays: [],
  monthly: null,
  startDate: '2027-01-01',
  startTime: '20:00',
  durationMinutes: null,
  until: null,
  count: null,
  exceptions: [],
  extraDates: [],
  timezone: PARIS,
  ...r,
});
const days = (r: Partial<RecurrenceRule>) => expandRecurrence(rule(r)).map((o) => o.day);
const local = (d: Date, zone: string) => {
  const p = localParts(d, zone);
  return `${p.hour}:${String(p.minute).padStart(2, '0')}`;
};

describe('recurrence (pure)', () => {
  test('weekly on chosen weekdays, every 2 weeks, from a start day in the middle of the week', () => {
    // 2027-01-06 is a Wednesday; its week's Monday is the 4th. Tuesday the 5th is before the start.
    assert.deepEqual(days({ weekdays: ['TU', 'FR'], interval: 2, startDate: '2027-01-06', count: 4 }), [
      '2027-01-08',
      '2027-01-19',
      '2027-01-22',
      '2027-02-02',
    ]);
    assert.equal(
      rruleText(rule({ weekdays: ['TU', 'FR'], interval: 2, count: 4 })),
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;WKST=MO;COUNT=4',
    );
  });

  test('until is inclusive; exceptions are removed after the count (RFC 5545); extra dates are added in order', () => {
    const r = { weekdays: ['TH' as const], startDate: '2027-01-01', until: '2027-01-28' };
    assert.deepEqual(days(r), ['2027-01-07', '2027-01-14', '2027-01-21', '2027-01-28']);
    assert.deepEqual(days({ ...r, until: null, count: 3, exceptions: ['2027-01-14'] }), ['2027-01-07', '2027-01-21']);
    const withExtra = expandRecurrence(rule({ ...r, extraDates: ['2027-01-16T15:00', '2027-01-21T20:00'] }));
    assert.deepEqual(
      withExtra.map((o) => [o.day, o.extra]),
      [
        ['2027-01-07', false],
        ['2027-01-14', false],
        ['2027-01-16', true],
        ['2027-01-21', false], // the extra date at the rule's own time counts once
        ['2027-01-28', false],
      ],
    );
  });

  test('monthly on the 31st skips the months without one; -1 is the last day, leap years included', () => {
    assert.deepEqual(
      days({ frequency: 'monthly', monthly: { kind: 'monthDay', day: 31 }, startDate: '2028-01-01', count: 4 }),
      ['2028-01-31', '2028-03-31', '2028-05-31', '2028-07-31'],
    );
    assert.deepEqual(
      days({ frequency: 'monthly', monthly: { kind: 'monthDay', day: -1 }, startDate: '2027-12-15', count: 4 }),
      ['2027-12-31', '2028-01-31', '2028-02-29', '2028-03-31'],
    );
    assert.deepEqual(
      days({
        frequency: 'monthly',
        monthly: { kind: 'monthDay', day: 29 },
        startDate: '2027-01-01',
        until: '2027-04-30',
      }),
      [
        '2027-01-29',
        '2027-03-29', // 2027 is not a leap year: no 29 February
        '2027-04-29',
      ],
    );
  });

  test('monthly on the nth weekday: the 1st Friday, the last Saturday, every 3 months', () => {
    assert.deepEqual(days({ frequency: 'monthly', monthly: { kind: 'weekday', week: 1, weekday: 'FR' }, count: 3 }), [
      '2027-01-01',
      '2027-02-05',
      '2027-03-05',
    ]);
    assert.deepEqual(
      days({ frequency: 'monthly', interval: 3, monthly: { kind: 'weekday', week: -1, weekday: 'SA' }, count: 3 }),
      ['2027-01-30', '2027-04-24', '2027-07-31'],
    );
    // The 4th Sunday of February 2026 (a February of exactly four weeks) is its last day.
    assert.deepEqual(
      days({
        frequency: 'monthly',
        monthly: { kind: 'weekday', week: 4, weekday: 'SU' },
        startDate: '2026-02-01',
        count: 1,
      }),
      ['2026-02-22'],
    );
    assert.equal(
      rruleText(
        rule({ frequency: 'monthly', monthly: { kind: 'weekday', week: -1, weekday: 'SA' }, until: '2027-12-31' }),
      ),
      'FREQ=MONTHLY;BYDAY=-1SA;UNTIL=20271231',
    );
  });

  test('20:00 stays 20:00 local across the DST change in Paris; Réunion has one offset all year', () => {
    // Paris changes on 28 March and 31 October 2027: the UTC instant moves, the wall-clock time does not.
    const autumn = expandRecurrence(
      rule({ weekdays: ['SA', 'SU'], startDate: '2027-10-30', count: 2, durationMinutes: 300 }),
    );
    assert.deepEqual(
      autumn.map((o) => [local(o.startsAt, PARIS), local(o.endsAt!, PARIS)]),
      [
        ['20:00', '1:00'],
        ['20:00', '1:00'],
      ],
    );
    assert.equal(autumn[0]!.startsAt.toISOString(), '2027-10-30T18:00:00.000Z');
    assert.equal(autumn[1]!.startsAt.toISOString(), '2027-10-31T19:00:00.000Z');
    const spring = expandRecurrence(rule({ weekdays: ['SU'], startDate: '2027-03-21', count: 2 }));
    assert.deepEqual(
      spring.map((o) => o.startsAt.toISOString()),
      ['2027-03-21T19:00:00.000Z', '2027-03-28T18:00:00.000Z'],
    );
    const reunion = expandRecurrence(rule({ weekdays: ['SU'], startDate: '2027-03-21', count: 2, timezone: REUNION }));
    assert.deepEqual(
      reunion.map((o) => o.startsAt.toISOString()),
      ['2027-03-21T16:00:00.000Z', '2027-03-28T16:00:00.000Z'],
    );
  });

  test('bounded: more than 104 dates or beyond two years is refused', () => {
    assert.throws(() => expandRecurrence(rule({ weekdays: ['MO', 'TU', 'WE'], until: '2027-12-31' })), /too-many/);
    assert.throws(
      () => expandRecurrence(rule({ frequency: 'monthly', monthly: { kind: 'monthDay', day: 1 }, count: 30 })),
      /too-far/,
    );
    // A rule that matches no day at all (the 31st, every 12 months, from April) still ends.
    assert.throws(
      () =>
        expandRecurrence(
          rule({
            frequency: 'monthly',
            interval: 12,
            monthly: { kind: 'monthDay', day: 31 },
            startDate: '2027-04-01',
            count: 2,
          }),
        ),
      /too-far/,
    );
    assert.equal(days({ weekdays: ['MO', 'TH'], count: 104 }).length, 104);
  });
});

describe('recurrence input', () => {
  const read = (raw: RecurrenceInput) => {
    const errors = new FieldErrors();
    const result = readRecurrence(errors, raw, PARIS);
    return { result, errors: errors.list.map((e) => `${e.field}:${e.message}`) };
  };
  const weekly: RecurrenceInput = {
    frequency: 'weekly',
    weekdays: ['TH'],
    startDate: '2027-01-01',
    startTime: '19:30',
    endTime: '22:30',
    count: '10',
  };

  test('a weekly jam: ten Thursdays, 19:30–22:30, the zone defaulting to the venue’s', () => {
    const { result, errors } = read(weekly);
    assert.deepEqual(errors, []);
    assert.equal(result!.occurrences.length, 10);
    assert.equal(result!.rule.durationMinutes, 180);
    assert.equal(result!.rule.timezone, PARIS);
    // The stored rule gives the form back what was typed.
    assert.deepEqual(read(recurrenceAsInput(result!.rule)).result!.rule, result!.rule);
  });

  test('an end time at or before the start is the next day', () => {
    assert.equal(read({ ...weekly, startTime: '22:00', endTime: '02:00' }).result!.rule.durationMinutes, 240);
  });

  test('bad input names its field: no weekday, until before start, too many dates, no end', () => {
    assert.deepEqual(read({ ...weekly, weekdays: [] }).errors, ['recurrence.weekdays:agenda.recurrence.weekdays']);
    assert.deepEqual(read({ ...weekly, count: '', until: '2026-12-01' }).errors, [
      'recurrence.until:agenda.recurrence.until-before-start',
    ]);
    assert.deepEqual(read({ ...weekly, count: '105' }).errors, ['recurrence.count:agenda.recurrence.range']);
    assert.deepEqual(read({ ...weekly, weekdays: 'MO,TU,WE', count: '', until: '2027-12-31' }).errors, [
      'recurrence.until:agenda.recurrence.too-many',
    ]);
    assert.deepEqual(read({ ...weekly, count: '' }).errors, ['recurrence.until:agenda.recurrence.end-required']);
    assert.deepEqual(read({ ...weekly, count: '', until: '2029-06-01' }).errors, [
      'recurrence.until:agenda.recurrence.too-far',
    ]);
    assert.deepEqual(
      read({
        frequency: 'monthly',
        monthlyBy: 'weekday',
        monthWeek: '0',
        monthWeekday: 'XX',
        startDate: '2027-01-01',
        startTime: '20:00',
        count: '2',
      }).errors,
      ['recurrence.monthWeekday:choice', 'recurrence.monthWeek:choice'],
    );
    assert.deepEqual(read({ ...weekly, timezone: 'Mars/Olympus' }).errors, ['recurrence.timezone:timezone']);
  });
});
