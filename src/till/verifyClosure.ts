import { canonicalJson, loadNodeKey, verifyText } from '../ledger/index.ts';
import type { Db } from '../db/database.ts';
import { closureReport } from './closureReport.ts';
import { CLOSURE_MESSAGE_VERSION, closureMessage, totalsDigest, type Closure } from './closures.ts';

export type ClosureProblem =
  | 'version'
  | 'signature'
  | 'totals-digest'
  | 'totals-differ'
  | 'positions'
  | 'cash'
  | 'lines-after-closure';

export interface ClosureVerification {
  ok: boolean;
  problems: ClosureProblem[];
}

/**
 * Checks a closure against the journal and the node key: the signature over its canonical message,
 * the digest of its stored totals, the totals recomputed from the journal lines it covers, the cash
 * fields, and that no line of its point and day was written after it. Reads only.
 */
export async function verifyClosure(db: Db, closure: Closure): Promise<ClosureVerification> {
  const problems: ClosureProblem[] = [];
  // Version 1 (before the opening float) is still verified, with a float of 0.
  if (
    closure.messageVersion !== CLOSURE_MESSAGE_VERSION &&
    !(closure.messageVersion === 1 && closure.openingFloatCents === 0)
  )
    return { ok: false, problems: ['version'] };
  const key = await loadNodeKey(db);
  if (!verifyText(key.publicKey, closureMessage(closure, closure.messageVersion), closure.signature))
    problems.push('signature');
  if (totalsDigest(closure.totals) !== closure.totalsSha256) problems.push('totals-digest');
  const report = await closureReport(db, closure.placeId, closure.pointId, closure.businessDay, {
    upToPosition: closure.journalHeadPosition,
  });
  if (canonicalJson(report.totals) !== canonicalJson(closure.totals)) problems.push('totals-differ');
  if (
    report.firstPosition !== closure.firstPosition ||
    report.lastPosition !== closure.lastPosition ||
    report.totals.lineCount !== closure.lineCount
  ) {
    problems.push('positions');
  }
  if (
    closure.expectedCashCents !== closure.totals.expectedCashCents ||
    closure.differenceCents !== closure.countedCashCents - closure.openingFloatCents - closure.expectedCashCents
  ) {
    problems.push('cash');
  }
  const later = await db
    .selectFrom('till_journal')
    .select('position')
    .where('place_id', '=', closure.placeId)
    .where('point_id', '=', closure.pointId)
    .where('business_day', '=', closure.businessDay)
    .where('position', '>', closure.journalHeadPosition)
    .limit(1)
    .executeTakeFirst();
  if (later) problems.push('lines-after-closure');
  return { ok: problems.length === 0, problems };
}
