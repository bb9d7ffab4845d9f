import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors } from '../shared/errors.ts';
import { assertReferenceFree, payableStatement, readPaidOn, readReference, recordSettled } from './payouts.ts';
import type { Payout } from './statements.ts';

/**
 * A venue whose statement closed negative (it collected more cash than it was owed) transferred that
 * amount to the federation: the treasurer records the bank reference when it arrives, which writes the
 * `settlement_remittance` posting — once (docs/SETTLEMENT.md).
 */
export async function markReceived(
  db: Db,
  actor: Actor,
  input: { statementId: unknown; reference: unknown; receivedOn?: unknown },
  now = new Date(),
): Promise<Payout> {
  const errors = new FieldErrors();
  const reference = readReference(errors, input.reference);
  const paidOn = readPaidOn(errors, input.receivedOn, now);
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const { statement, payout } = await payableStatement(trx, actor, input.statementId, 'from_venue');
    await assertReferenceFree(trx, statement.federationId, 'sepa', reference);
    return recordSettled(trx, actor, statement, {
      direction: 'from_venue',
      method: 'sepa',
      reference,
      paidOn,
      existing: payout,
    });
  });
}
