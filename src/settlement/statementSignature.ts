import { canonicalJson, sha256Hex } from '../ledger/index.ts';
import type { StatementLine } from './tables.ts';

/** The version of the signed message, stored with each statement. */
export const STATEMENT_MESSAGE_VERSION = 1;

export interface SignedStatementFields {
  id: string;
  currencyCode: string;
  placeId: string;
  number: number;
  periodStart: Date | null;
  periodEnd: Date;
  coversTo: Date;
  openingCents: number;
  tokensCents: number;
  cashCents: number;
  feeCents: number;
  closingCents: number;
  linesSha256: string;
  createdAt: Date;
}

export const linesDigest = (lines: readonly StatementLine[]) => sha256Hex(canonicalJson(lines));

/** The line the node key signs for a statement (docs/SETTLEMENT.md, "Statement of a venue"). */
export function statementMessage(s: SignedStatementFields): string {
  return [
    'rezo-settlement-statement-v1',
    s.id,
    s.currencyCode,
    s.placeId,
    s.number,
    s.periodStart ? s.periodStart.toISOString() : '',
    s.periodEnd.toISOString(),
    s.coversTo.toISOString(),
    s.openingCents,
    s.tokensCents,
    s.cashCents,
    s.feeCents,
    s.closingCents,
    s.linesSha256,
    s.createdAt.toISOString(),
  ].join('|');
}
