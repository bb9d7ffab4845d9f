import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { loadNodeKey, signText } from '../ledger/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { businessDayAt, isCalendarDay, tillDayOf } from './closureDay.ts';
import { closureReport } from './closureReport.ts';
import { lockJournalHead, type JournalHead } from './journal.ts';
import { CLOSURE_MESSAGE_VERSION, closureMessage, findClosure, totalsDigest, type Closure } from './closures.ts';

/** Counted cash above this (10 million euros) is a typing mistake. */
const MAX_CASH_CENTS = 1_000_000_000;
const MAX_NOTE = 500;

export interface CloseDayInput {
  placeId: string;
  pointId: unknown;
  businessDay: unknown;
  countedCashCents: unknown;
  /** Cash put in the drawer before the day's first sale, cents (default 0). */
  openingFloatCents?: unknown;
  note?: unknown;
}

/**
 * For the sale engine: refuses (409 `till-day-closed`) a sale on a point and business day that is
 * already closed. It takes the venue's journal head lock (the closure takes it too), so call it in the
 * sale's transaction right before `appendJournal`: after it returns, no closure of that day can commit
 * before the sale does. The database refuses such lines anyway (trigger till_journal_day_open).
 * Returns the locked head, for appendJournal (no second read).
 */
export async function assertDayOpen(
  trx: Trx,
  placeId: string,
  pointId: string,
  businessDay: string,
): Promise<JournalHead> {
  const head = await lockJournalHead(trx, placeId);
  const closed = await trx
    .selectFrom('till_closures')
    .select('id')
    .where('place_id', '=', placeId)
    .where('point_id', '=', pointId)
    .where('business_day', '=', businessDay)
    .executeTakeFirst();
  if (closed) throw new DomainError('till-day-closed', 409, { day: businessDay });
  return head;
}

/** Where a sale queued offline is booked: its own business day, or the point's next open day, late. */
export interface BookedDay {
  head: JournalHead;
  businessDay: string;
  /** The day it was sold on when that day was closed (booked late); null when booked on it. */
  lateFromDay: string | null;
}

/** The calendar day after 'YYYY-MM-DD'. */
export function nextDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * For a sale a till queued offline (docs/TILL.md, "Offline sales"): the business day to book it on.
 * Its own day when that point's day is open; else the first following day without a closure of that
 * point, with the day it was sold on as its late mark. Takes the venue's journal head lock first (as
 * assertDayOpen and closeDay do), so no closure can commit between this choice and the sale's commit.
 * Closures exist up to today's business day at most, so the answer is at most the day after today.
 */
export async function openDayFor(trx: Trx, placeId: string, pointId: string, soldOn: string): Promise<BookedDay> {
  const head = await lockJournalHead(trx, placeId);
  const closed = new Set(
    (
      await trx
        .selectFrom('till_closures')
        .select('business_day')
        .where('place_id', '=', placeId)
        .where('point_id', '=', pointId)
        .where('business_day', '>=', soldOn)
        .execute()
    ).map((r) => String(r.business_day)),
  );
  let day = soldOn;
  while (closed.has(day)) day = nextDay(day);
  return { head, businessDay: day, lateFromDay: day === soldOn ? null : soldOn };
}

/**
 * Closes a point of sale's business day (a Z report): sums the journal lines of that point and day,
 * records the cash counted and the difference, and signs the whole with the node key. Final: a second
 * closure of the same point and day is refused (409 `till-closure-exists`), and so are later sales of
 * that point and day (`till-day-closed`). The current day may be closed (a bar closes before the
 * day boundary); a day that has not started yet may not.
 */
export async function closeDay(
  db: Db,
  actor: Actor,
  input: CloseDayInput,
  options: { now?: Date } = {},
): Promise<Closure> {
  const errors = new FieldErrors();
  const pointId = typeof input.pointId === 'string' ? input.pointId.trim() : '';
  if (!pointId) errors.add('pointId', 'required');
  else if (!isUuid(pointId)) errors.add('pointId', 'invalid');
  const businessDay = typeof input.businessDay === 'string' ? input.businessDay.trim() : '';
  if (!businessDay) errors.add('businessDay', 'required');
  else if (!isCalendarDay(businessDay)) errors.add('businessDay', 'closures.day');
  const counted = input.countedCashCents;
  if (counted === undefined || counted === null || counted === '') errors.add('countedCashCents', 'required');
  else if (typeof counted !== 'number' || !Number.isSafeInteger(counted) || counted < 0 || counted > MAX_CASH_CENTS) {
    errors.add('countedCashCents', 'closures.counted-cash', { max: MAX_CASH_CENTS / 100 });
  }
  const float = input.openingFloatCents ?? 0;
  if (
    float !== null &&
    (typeof float !== 'number' || !Number.isSafeInteger(float) || float < 0 || float > MAX_CASH_CENTS)
  ) {
    errors.add('openingFloatCents', 'closures.opening-float', { max: MAX_CASH_CENTS / 100 });
  }
  const note = input.note === undefined || input.note === null ? '' : input.note;
  if (typeof note !== 'string') errors.add('note', 'type');
  else if (note.trim().length > MAX_NOTE) errors.add('note', 'too-long', { max: MAX_NOTE });
  errors.throwIfAny();
  const countedCashCents = counted as number;
  const openingFloatCents = typeof float === 'number' ? float : 0;
  const now = options.now ?? new Date();

  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'till');
    const point = await trx
      .selectFrom('pos_points')
      .select('id')
      .where('place_id', '=', input.placeId)
      .where('id', '=', pointId)
      .executeTakeFirst();
    if (!point) throw notFound('point');
    const today = businessDayAt(now, await tillDayOf(trx, input.placeId));
    if (businessDay > today) {
      throw new DomainError('validation', 422, {}, [
        { field: 'businessDay', message: 'closures.future-day', params: { today } },
      ]);
    }
    // Serialise with the venue's sales and with another closure of the same day.
    const head = await lockJournalHead(trx, input.placeId);
    const existing = await trx
      .selectFrom('till_closures')
      .select('id')
      .where('place_id', '=', input.placeId)
      .where('point_id', '=', pointId)
      .where('business_day', '=', businessDay)
      .executeTakeFirst();
    if (existing) throw new DomainError('till-closure-exists', 409, { day: businessDay, id: existing.id });

    const report = await closureReport(trx, input.placeId, pointId, businessDay, { upToPosition: head.position });
    const { totals } = report;
    const fields = {
      placeId: input.placeId,
      pointId,
      businessDay,
      journalHeadPosition: head.position,
      journalHeadHash: head.hash,
      firstPosition: report.firstPosition,
      lastPosition: report.lastPosition,
      lineCount: totals.lineCount,
      totalsSha256: totalsDigest(totals),
      openingFloatCents,
      expectedCashCents: totals.expectedCashCents,
      countedCashCents,
      differenceCents: countedCashCents - openingFloatCents - totals.expectedCashCents,
      closedAt: new Date(now.getTime()),
    };
    const key = await loadNodeKey(trx);
    const signature = signText(key.privateKey, closureMessage(fields));
    const id = uuidv7();
    await trx
      .insertInto('till_closures')
      .values({
        id,
        place_id: fields.placeId,
        point_id: pointId,
        business_day: businessDay,
        journal_head_position: fields.journalHeadPosition,
        journal_head_hash: fields.journalHeadHash,
        first_position: fields.firstPosition,
        last_position: fields.lastPosition,
        line_count: fields.lineCount,
        totals: JSON.stringify(totals),
        totals_sha256: fields.totalsSha256,
        opening_float_cents: openingFloatCents,
        expected_cash_cents: fields.expectedCashCents,
        counted_cash_cents: countedCashCents,
        difference_cents: fields.differenceCents,
        note: (note as string).trim(),
        closed_by: actor.kind === 'person' ? actor.personId : null,
        closed_by_api_key: actor.kind === 'apiKey' ? actor.keyId : null,
        closed_at: fields.closedAt,
        signature,
        message_version: CLOSURE_MESSAGE_VERSION,
      })
      .execute();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'till.closure',
      subjectId: id,
      data: {
        pointId,
        businessDay,
        lines: fields.lineCount,
        openingFloatCents,
        expectedCashCents: fields.expectedCashCents,
        countedCashCents,
        differenceCents: fields.differenceCents,
      },
    });
    return (await findClosure(trx, input.placeId, id))!;
  });
}
