import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { createEvent } from './createEvent.ts';
import { findEvent } from './events.ts';
import { publishEvent } from './publishEvent.ts';
import { personNamed, sellTickets, venue } from './testFixtures.ts';
import { updateEvent } from './updateEvent.ts';
import { localDate, localParts } from './zonedTime.ts';

// Recurring events (docs/AGENDA.md, "Recurrence"): the rule written out as dates in one transaction,
// a change of rule adding and removing dates but never deleting one with tickets sold.

let t: TestNode;
let place: Awaited<ReturnType<typeof venue>>;
const ZONE = 'Indian/Reunion';
before(async () => {
  t = await createTestNode();
  place = await venue(t.db, 'la-jam', { 'editor@example.org': 'editor' }, { modules: ['agenda', 'ticketing'] });
});
after(() => t.close());

/** The local day `days` days from now, in the venue's zone. */
const day = (days: number) => localDate(new Date(Date.now() + days * 86_400_000), ZONE);
const weekdayOf = (d: string) => ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][new Date(`${d}T12:00:00Z`).getUTCDay()]!;
const weekly = (weekdays: string[], extra: Record<string, unknown> = {}) => ({
  frequency: 'weekly',
  weekdays,
  startDate: day(2),
  startTime: '20:00',
  endTime: '23:00',
  count: '6',
  ...extra,
});
const daysOf = async (eventId: string) =>
  (await findEvent(t.db, eventId))!.dates.map((d) => localDate(d.startsAt, d.timezone));
const dateCount = async () =>
  Number(
    (
      await t.db
        .selectFrom('event_dates')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

const sell = (eventId: string, dateId: string, slug: string) =>
  sellTickets(t.db, t.config, place.admin, { slug, eventId, dateId });

/** An event of the venue written out from a rule, by its editor. */
async function recurring(title: string, recurrence: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const editor = await personNamed(t.db, 'editor@example.org');
  return { editor, event: await createEvent(t.db, editor, { placeId: place.id, title, recurrence, ...extra }) };
}

describe('recurring events (use cases)', () => {
  test('a weekly rule is written out as dates at 20:00 local, and stored for the form', async () => {
    const target = weekdayOf(day(3));
    const { event: e } = await recurring('Jam du soir', weekly([target]));
    assert.equal(e.dates.length, 6);
    assert.ok(e.dates.every((d) => weekdayOf(localDate(d.startsAt, ZONE)) === target));
    assert.ok(e.dates.every((d) => localParts(d.startsAt, ZONE).hour === 20 && d.timezone === ZONE));
    assert.ok(e.dates.every((d) => d.endsAt!.getTime() - d.startsAt.getTime() === 3 * 3_600_000));
    assert.equal(e.recurrence?.count, 6);
    assert.deepEqual(e.recurrence?.weekdays, [target]);
  });

  test('editing the rule keeps the date with tickets sold (unchanged, flagged in the audit), moves the rest', async () => {
    const first = weekdayOf(day(3));
    const { editor, event: e } = await recurring('Jam vendue', weekly([first]), { slug: 'jam-vendue' });
    await publishEvent(t.db, editor, { eventId: e.id });
    const sold = e.dates[1]!;
    await sell(e.id, sold.id, place.slug);
    // Same days, another time: the unsold dates keep their ids (and iCalendar UIDs) at 21:00; the sold one stays at 20:00.
    const later = await updateEvent(t.db, editor, {
      eventId: e.id,
      recurrence: weekly([first], { startTime: '21:00' }),
    });
    assert.deepEqual(
      later.dates.map((d) => d.id),
      e.dates.map((d) => d.id),
    );
    assert.deepEqual(
      later.dates.map((d) => localParts(d.startsAt, ZONE).hour),
      [21, 20, 21, 21, 21, 21],
    );
    // Another weekday and four weeks: the old days go, except the sold one, kept as it was.
    const other = weekdayOf(day(4));
    const moved = await updateEvent(t.db, editor, {
      eventId: e.id,
      recurrence: weekly([other], { count: '4', startTime: '21:00' }),
    });
    const days = moved.dates.map((d) => localDate(d.startsAt, ZONE));
    assert.equal(moved.dates.length, 5);
    assert.ok(moved.dates.some((d) => d.id === sold.id && d.startsAt.getTime() === sold.startsAt.getTime()));
    assert.equal(days.filter((d) => weekdayOf(d) === other).length, 4);
    const audit = await t.db
      .selectFrom('audit_log')
      .select('data')
      .where('subject_id', '=', e.id)
      .where('action', '=', 'event.updated')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.deepEqual((audit.data as { keptDates?: string[] }).keptDates, [sold.id]);
    assert.equal((audit.data as { rrule?: string }).rrule, `FREQ=WEEKLY;BYDAY=${other};WKST=MO;COUNT=4`);
    // Unticking the sold day (an exception) or going back to single dates does not delete it either.
    const single = await updateEvent(t.db, editor, {
      eventId: e.id,
      dates: [{ startsAt: `${day(30)}T19:00` }],
    });
    assert.equal(single.recurrence, null);
    assert.deepEqual(
      single.dates.map((d) => d.id).sort(),
      [sold.id, single.dates.find((d) => d.id !== sold.id)!.id].sort(),
    );
    assert.equal(single.dates.length, 2);
  });

  test('bad rules are refused with a field each, and nothing is written', async () => {
    const editor = await personNamed(t.db, 'editor@example.org');
    const before = await dateCount();
    const refused = async (recurrence: Record<string, unknown>, expected: string) =>
      assert.rejects(
        createEvent(t.db, editor, { placeId: place.id, title: 'Mauvaise règle', recurrence }),
        (e: unknown) => {
          assert.ok(e instanceof DomainError && e.status === 422);
          assert.deepEqual(
            e.fields.map((f) => `${f.field}:${f.message}`),
            [expected],
          );
          return true;
        },
      );
    await refused(weekly([]), 'recurrence.weekdays:agenda.recurrence.weekdays');
    await refused(
      weekly(['MO'], { count: '', until: day(1) }),
      'recurrence.until:agenda.recurrence.until-before-start',
    );
    await refused(
      weekly(['MO', 'TU', 'WE'], { count: '', until: day(300) }),
      'recurrence.until:agenda.recurrence.too-many',
    );
    assert.equal(await dateCount(), before);
    assert.equal(
      (await t.db.selectFrom('events').select('id').where('title', '=', 'Mauvaise règle').execute()).length,
      0,
    );
  });
});

describe('the event form with a rule', () => {
  const form = (extra: Record<string, string | string[]> = {}) => ({
    title: 'Jam du formulaire',
    atVenue: 'on',
    dateMode: 'rule',
    ruleFrequency: 'weekly',
    ruleInterval: '1',
    ruleWeekdays: [weekdayOf(day(3))],
    ruleStartDate: day(2),
    ruleStartTime: '19:30',
    ruleEndTime: '22:30',
    ruleCount: '5',
    ...extra,
  });

  test('"Aperçu" shows the dates and writes nothing; unticked dates are exceptions; a sold date is flagged', async () => {
    const client = await t.loginAs('editor@example.org');
    const url = `/venues/${place.slug}/admin/events/new`;
    const blank = await client.get(url);
    assert.match(blank.body, /name="dateMode" value="rule"/);
    assert.match(blank.body, /src="\/static\/agenda\/eventDates\.js"/);
    const before = await dateCount();
    const preview = await client.postForm(url, form({ intent: 'preview' }));
    assert.equal(preview.statusCode, 200);
    const previewed = [...preview.body.matchAll(/name="ruleKeep" value="([\d-]+)" checked/g)].map((m) => m[1]!);
    assert.equal(previewed.length, 5);
    assert.match(preview.body, /5 dates/);
    assert.equal(await dateCount(), before, 'a preview writes nothing');
    // Untick the second date, then save.
    const saved = await client.postForm(
      url,
      form({ rulePreviewed: previewed, ruleKeep: previewed.filter((_, i) => i !== 1) }),
    );
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 500));
    const id = /admin\/events\/([0-9a-f-]{36})/.exec(saved.headers.location as string)![1]!;
    assert.deepEqual(
      await daysOf(id),
      previewed.filter((_, i) => i !== 1),
    );
    const e = (await findEvent(t.db, id))!;
    assert.deepEqual(e.recurrence?.exceptions, [previewed[1]]);
    // The edit page shows the rule again, the exception unticked; a sold date the rule loses is flagged.
    await publishEvent(t.db, SYSTEM, { eventId: id });
    await sell(id, e.dates[0]!.id, place.slug);
    await updateEvent(t.db, SYSTEM, {
      eventId: id,
      recurrence: { ...weekly([weekdayOf(day(4))], { startDate: day(2), startTime: '19:30' }) },
    });
    const edit = await client.get(`/venues/${place.slug}/admin/events/${id}`);
    assert.equal(edit.statusCode, 200);
    assert.match(edit.body, /Billets vendus : date gardée telle quelle/);
    assert.match(edit.body, /name="dateMode" value="rule" checked/);
  });

  test('bad input: the form again with 422 and the field message in the person’s language, nothing written', async () => {
    const client = await t.loginAs('editor@example.org');
    const before = await dateCount();
    const fr = await client.postForm(`/venues/${place.slug}/admin/events/new`, form({ ruleWeekdays: [] }));
    assert.equal(fr.statusCode, 422);
    assert.match(fr.body, /id="recurrence-weekdays-error">Cochez au moins un jour de la semaine\./);
    const en = await client.postForm(
      `/venues/${place.slug}/admin/events/new?lang=en`,
      form({ ruleCount: '', ruleUntil: day(1) }),
    );
    assert.equal(en.statusCode, 422);
    assert.match(en.body, /The end is before the first day\./);
    const tooMany = await client.postForm(
      `/venues/${place.slug}/admin/events/new?lang=en`,
      form({ intent: 'preview', ruleCount: '200' }),
    );
    assert.equal(tooMany.statusCode, 422);
    assert.match(tooMany.body, /A whole number from 1 to 104\./);
    assert.equal(await dateCount(), before);
  });
});
