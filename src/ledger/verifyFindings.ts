/** What `rezo ledger verify` reports (verifyLedger.ts), shared by the files of its checks. */

export interface CurrencySummary {
  code: string;
  /** Every transfer checked: legacy chain + sealed in blocks + unsealed. */
  transfers: number;
  /** Transfers of the legacy per-transfer chain (written before migration 0014). */
  legacyTransfers: number;
  blocks: number;
  /** Transfers committed and not sealed yet (still in the queue), and the age of the oldest, in ms. */
  unsealed: number;
  oldestUnsealedMs: number | null;
  accounts: number;
  supply: number;
  checkpoints: number;
  /** Hash of the last block (or of the legacy chain's head when there is no block yet). */
  headHash: string;
  /** What holders owe after euros were taken back for tokens already spent (`ledger_debts`). */
  debts: number;
  /** The currency's transparency log (docs/FEDERATION.md): C2SP checkpoints and cosignatures checked. */
  logCheckpoints: number;
  cosignatures: number;
  /** Per witness: the largest size it cosigned and when. */
  witnesses: { name: string; size: number; cosignedAt: Date }[];
}

export interface Inconsistency {
  /** Stable name of the check that failed. */
  check: string;
  currency: string;
  /** Block, chain position, transfer id or account id: where to look. */
  where: string;
  message: string;
}

/** The reserve of a federation's euro token (docs/SETTLEMENT.md), in cents. */
export interface ReserveSummary {
  federation: string;
  code: string;
  /**
   * Payments received − payouts to holders − settlement euro records. Holders' debts (euros given back
   * beyond what could be burnt, docs/PAYMENTS.md) are not payouts: they stay in `held` as owed to the federation.
   */
  held: number;
  /** Person and card balances. */
  inCirculation: number;
  /** Place balances: received by venues, not settled yet. */
  atVenues: number;
  /** Settlement positions, signed: settled and not paid (+) or not received (−). */
  positions: number;
  /** The negative positions alone (owed by venues), for the summary line. */
  owedByVenues: number;
  /** Any other non-issuance account (reserve, clearing, demurrage roles). */
  other: number;
}

export interface VerifyResult {
  ok: boolean;
  currencies: CurrencySummary[];
  /** One per federation whose euro token was checked. */
  reserves: ReserveSummary[];
  /** The first inconsistency found; verification stops there. */
  problem: Inconsistency | null;
}

/** Rows read per page. */
export const PAGE = 2000;

/** The first inconsistency, thrown to stop the verification there. */
export class Found extends Error {
  constructor(readonly problem: Inconsistency) {
    super(problem.message);
  }
}
