import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { peopleByIds, type Person } from '../accounts/index.ts';
import { canonicalJson, sha256Hex } from '../ledger/index.ts';
import type { ClosureTotals } from './closureReport.ts';

/** The version of the signed message (stored with each closure as message_version). */
export const CLOSURE_MESSAGE_VERSION = 2;

/** A closure (Z report) as the other modules and the views see it. */
export interface Closure {
  id: string;
  placeId: string;
  pointId: string;
  pointName: string;
  businessDay: string;
  journalHeadPosition: number;
  journalHeadHash: string;
  firstPosition: number | null;
  lastPosition: number | null;
  lineCount: number;
  totals: ClosureTotals;
  totalsSha256: string;
  /** Cash in the drawer before the day's first sale (0 in version-1 closures). */
  openingFloatCents: number;
  /** Σ cash payment lines (signed); the drawer should hold openingFloatCents + expectedCashCents. */
  expectedCashCents: number;
  countedCashCents: number;
  /** counted − float − expected. */
  differenceCents: number;
  note: string;
  closedBy: string | null;
  closedByName: string | null;
  closedByApiKey: string | null;
  closedAt: Date;
  signature: string;
  messageVersion: number;
}

/** SHA-256 (hex) of the canonical JSON of the totals (object keys sorted, arrays in their order). */
export function totalsDigest(totals: ClosureTotals): string {
  return sha256Hex(canonicalJson(totals));
}

/**
 * The message the node key signs for a closure: one `|`-separated line. It binds the closure to the
 * journal (head position and hash at closing time, first and last line summed) and to its totals
 * (their digest), the cash counted and the time. Version 2 adds the opening float before the
 * expected cash; version 1 (closures made before migration 0017) has none and is still verified.
 */
export function closureMessage(
  c: {
    placeId: string;
    pointId: string;
    businessDay: string;
    journalHeadPosition: number;
    journalHeadHash: string;
    firstPosition: number | null;
    lastPosition: number | null;
    lineCount: number;
    totalsSha256: string;
    openingFloatCents: number;
    expectedCashCents: number;
    countedCashCents: number;
    differenceCents: number;
    closedAt: Date;
  },
  version: number = CLOSURE_MESSAGE_VERSION,
): string {
  if (version !== 1 && version !== 2) throw new Error(`unknown closure message version ${version}`);
  return [
    `rezo-till-closure-v${version}`,
    c.placeId,
    c.pointId,
    c.businessDay,
    String(c.journalHeadPosition),
    c.journalHeadHash,
    c.firstPosition === null ? '' : String(c.firstPosition),
    c.lastPosition === null ? '' : String(c.lastPosition),
    String(c.lineCount),
    c.totalsSha256,
    ...(version >= 2 ? [String(c.openingFloatCents)] : []),
    String(c.expectedCashCents),
    String(c.countedCashCents),
    String(c.differenceCents),
    c.closedAt.toISOString(),
  ].join('|');
}

function closureQuery(db: Db) {
  return db
    .selectFrom('till_closures as c')
    .innerJoin('pos_points as p', (j) => j.onRef('p.place_id', '=', 'c.place_id').onRef('p.id', '=', 'c.point_id'))
    .selectAll('c')
    .select(['p.name as point_name']);
}

type Row = Awaited<ReturnType<ReturnType<typeof closureQuery>['executeTakeFirstOrThrow']>>;

function toClosure(r: Row, people: Map<string, Person>): Closure {
  return {
    id: r.id,
    placeId: r.place_id,
    pointId: r.point_id,
    pointName: r.point_name,
    businessDay: r.business_day,
    journalHeadPosition: Number(r.journal_head_position),
    journalHeadHash: r.journal_head_hash,
    firstPosition: r.first_position === null ? null : Number(r.first_position),
    lastPosition: r.last_position === null ? null : Number(r.last_position),
    lineCount: r.line_count,
    totals: r.totals as ClosureTotals,
    totalsSha256: r.totals_sha256,
    openingFloatCents: Number(r.opening_float_cents),
    expectedCashCents: Number(r.expected_cash_cents),
    countedCashCents: Number(r.counted_cash_cents),
    differenceCents: Number(r.difference_cents),
    note: r.note,
    closedBy: r.closed_by,
    closedByName: (r.closed_by && people.get(r.closed_by)?.name) ?? null,
    closedByApiKey: r.closed_by_api_key,
    closedAt: r.closed_at,
    signature: r.signature,
    messageVersion: r.message_version,
  };
}

/** The people who closed these closures (one query). */
function closersOf(db: Db, rows: Row[]): Promise<Map<string, Person>> {
  return peopleByIds(
    db,
    rows.flatMap((r) => (r.closed_by ? [r.closed_by] : [])),
  );
}

/** One closure of a venue, or null (an id of another venue is not found). */
export async function findClosure(db: Db, placeId: string, id: string): Promise<Closure | null> {
  const row = await closureQuery(db).where('c.place_id', '=', placeId).where('c.id', '=', id).executeTakeFirst();
  return row ? toClosure(row, await closersOf(db, [row])) : null;
}

/** A venue's closures, newest business day first, optionally of one day and/or one point. */
export async function listClosures(
  db: Db,
  placeId: string,
  filter: { businessDay?: string; pointId?: string; limit?: number } = {},
): Promise<Closure[]> {
  let q = closureQuery(db).where('c.place_id', '=', placeId);
  if (filter.businessDay) q = q.where('c.business_day', '=', filter.businessDay);
  if (filter.pointId) q = q.where('c.point_id', '=', filter.pointId);
  const rows = await q
    .orderBy('c.business_day', 'desc')
    .orderBy('p.position')
    .orderBy('p.name')
    .limit(filter.limit ?? 200)
    .execute();
  const people = await closersOf(db, rows);
  return rows.map((r) => toClosure(r, people));
}

/** A point and business day not closed yet: from the journal, plus today for every point in use. */
export async function openDays(
  db: Db,
  placeId: string,
  today: string,
): Promise<{ pointId: string; pointName: string; businessDay: string }[]> {
  const rows = await sql<{ point_id: string; business_day: string }>`
    select d.point_id, d.business_day from (
      select distinct j.point_id, j.business_day from till_journal j where j.place_id = ${placeId}
      union select p.id, ${today}::date from pos_points p where p.place_id = ${placeId} and not p.archived
    ) d
    where not exists (select 1 from till_closures c where c.place_id = ${placeId} and c.point_id = d.point_id and c.business_day = d.business_day)
    order by d.business_day desc limit 60`.execute(db);
  const points = new Map(
    (
      await db.selectFrom('pos_points').select(['id', 'name', 'position']).where('place_id', '=', placeId).execute()
    ).map((p) => [p.id, p]),
  );
  return rows.rows
    .map((r) => ({
      pointId: r.point_id,
      pointName: points.get(r.point_id)?.name ?? '?',
      position: points.get(r.point_id)?.position ?? 0,
      businessDay: String(r.business_day),
    }))
    .sort((a, b) =>
      a.businessDay === b.businessDay ? a.position - b.position : a.businessDay < b.businessDay ? 1 : -1,
    )
    .map(({ position: _p, ...r }) => r);
}
