import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors } from '../shared/errors.ts';
import { assertReferenceFree, payableStatement, readPaidOn, readReference, recordSettled } from './payouts.ts';
import type { Payout } from './statements.ts';

/**
 * The treasurer paid a venue's statement by SEPA transfer from the federation's bank: records the bank
 * reference (unique in the federation) and the date, and writes the `settlement_payout` posting of the
 * statement's whole closing — once (docs/SETTLEMENT.md). A Stripe payout that failed is replaced.
 */
export async function markPaid(
  db: Db,
  actor: Actor,
  input: { statementId: unknown; reference: unknown; paidOn?: unknown },
  now = new Date(),
): Promise<Payout> {
  const errors = new FieldErrors();
  const reference = readReference(errors, input.reference);
  const paidOn = readPaidOn(errors, input.paidOn, now);
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const { statement, payout } = await payableStatement(trx, actor, input.statementId, 'to_venue');
    await assertReferenceFree(trx, statement.federationId, 'sepa', reference);
    return recordSettled(trx, actor, statement, {
      direction: 'to_venue',
      method: 'sepa',
      reference,
      paidOn,
      existing: payout,
    });
  });
}
