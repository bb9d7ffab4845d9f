import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { loadNodeKey } from './nodeKey.ts';
import { verifyCurrency } from './verifyCurrency.ts';
import { Found, type CurrencySummary, type ReserveSummary, type VerifyResult } from './verifyFindings.ts';
import { verifyReserve } from './verifyReserve.ts';
import { verifyLog } from './witness/verifyLog.ts';

export type { CurrencySummary, Inconsistency, ReserveSummary, VerifyResult } from './verifyFindings.ts';

/**
 * Re-checks the whole ledger from the outside (docs/LEDGER.md, "rezo ledger verify"): the legacy
 * per-transfer chain, every block (its link, its hash, the hash over its transfers, its supply),
 * every transfer's own hash, that every transfer is sealed in exactly one block or still waits in the
 * unsealed queue, every checkpoint signature against its block, every balance and pending amount
 * replayed, every per-currency sum, and the euro backing. Read-only, in one REPEATABLE READ
 * snapshot so a sealer or payments running meanwhile do not disturb it. Stops at the first
 * inconsistency and says what and where.
 */
export async function verifyLedger(db: Db, options: { currencyCode?: string; now?: Date } = {}): Promise<VerifyResult> {
  const run = async (trx: Trx): Promise<VerifyResult> => {
    const key = await loadNodeKey(trx);
    let q = trx
      .selectFrom('ledger_currencies')
      .select(['id', 'code', 'euro_backed', 'issuer_federation_id'])
      .orderBy('code');
    if (options.currencyCode) q = q.where('code', '=', options.currencyCode);
    const currencies = await q.execute();
    const summaries: CurrencySummary[] = [];
    const reserves: ReserveSummary[] = [];
    const now = options.now ?? (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
    try {
      if (options.currencyCode && currencies.length === 0) {
        throw new Found({
          check: 'currency',
          currency: options.currencyCode,
          where: options.currencyCode,
          message: 'no such currency',
        });
      }
      for (const currency of currencies)
        summaries.push({
          ...(await verifyCurrency(trx, key.publicKey, currency, now)),
          ...(await verifyLog(trx, currency)),
        });
      // After every currency checked alone: the reserve of each federation's token, then settlement's links.
      for (const currency of currencies)
        if (currency.issuer_federation_id)
          reserves.push(await verifyReserve(trx, { ...currency, federationId: currency.issuer_federation_id }));
      return { ok: true, currencies: summaries, reserves, problem: null };
    } catch (error) {
      if (error instanceof Found) return { ok: false, currencies: summaries, reserves, problem: error.problem };
      throw error;
    }
  };
  if (db.isTransaction) return run(db as Trx);
  return db.transaction().setIsolationLevel('repeatable read').execute(run);
}
