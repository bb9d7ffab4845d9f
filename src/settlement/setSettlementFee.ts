import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors } from '../shared/errors.ts';
import { requireOperator, settledFederation } from './treasurers.ts';

/** The largest fee rate, in basis points: 20 %. */
export const MAX_FEE_BPS = 2000;

/**
 * Sets the federation's fee on the tokens its venues settle, in basis points (150 = 1.5 %), used by the
 * next runs (a statement keeps the rate it applied). Operators and the node only.
 */
export async function setSettlementFee(
  db: Db,
  actor: Actor,
  input: { federation: unknown; bps: unknown },
): Promise<{ feeBps: number }> {
  requireOperator(actor);
  const errors = new FieldErrors();
  const raw = input.bps;
  const bps = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(bps) || bps < 0 || bps > MAX_FEE_BPS) errors.add('bps', 'settlement.bps', { max: MAX_FEE_BPS });
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const federation = await settledFederation(trx, input.federation);
    await trx
      .insertInto('settlement_settings')
      .values({ federation_id: federation.id, fee_bps: bps })
      .onConflict((oc) => oc.column('federation_id').doUpdateSet({ fee_bps: bps, updated_at: new Date() }))
      .execute();
    await audit(trx, actor, { action: 'settlement.fee-set', subjectId: federation.id, data: { bps } });
    return { feeBps: bps };
  });
}

export async function feeBpsOf(db: Db, federationId: string): Promise<number> {
  const row = await db
    .selectFrom('settlement_settings')
    .select('fee_bps')
    .where('federation_id', '=', federationId)
    .executeTakeFirst();
  return row?.fee_bps ?? 0;
}
