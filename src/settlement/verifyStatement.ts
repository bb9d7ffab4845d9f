import type { Db } from '../db/database.ts';
import { loadNodeKey, verifyText } from '../ledger/index.ts';
import { linesDigest, statementMessage } from './statementSignature.ts';
import type { Statement } from './statements.ts';

export interface StatementVerification {
  ok: boolean;
  /** What fails: `signature`, `lines-digest`, `lines-sum` (the lines do not add up to the figures), `closing`. */
  problems: string[];
}

/**
 * Re-checks a statement from its stored fields: the node key's signature over the message rebuilt from
 * them, the digest of its lines, that its lines add up to its tokens and cash figures and that the
 * closing is opening + tokens + cash − fee.
 */
export async function verifyStatement(db: Db, s: Statement): Promise<StatementVerification> {
  const problems: string[] = [];
  const key = await loadNodeKey(db);
  const message = statementMessage({ ...s, linesSha256: s.linesSha256 });
  if (!verifyText(key.publicKey, message, s.signature)) problems.push('signature');
  if (linesDigest(s.lines) !== s.linesSha256) problems.push('lines-digest');
  const sum = (cash: boolean) =>
    s.lines
      .filter((l) => (l.line === 'cash_top_ups' || l.line === 'cash_outs') === cash)
      .reduce((n, l) => n + l.amountCents, 0);
  if (sum(false) !== s.tokensCents || sum(true) !== s.cashCents) problems.push('lines-sum');
  if (s.closingCents !== s.openingCents + s.tokensCents + s.cashCents - s.feeCents) problems.push('closing');
  return { ok: problems.length === 0, problems };
}
