import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { refundLimitsOf, type RefundLimits } from './refundLimits.ts';

function readLimit(errors: FieldErrors, field: string, raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0 || raw > MAX_AMOUNT_MINOR) {
    errors.add(field, 'ledger.refund-limit-range', { max: MAX_AMOUNT_MINOR });
    return 0;
  }
  return raw;
}

/**
 * A venue's admins set its limits on refunds and payouts from its accounts (docs/LEDGER.md, "Refunds
 * and payouts"): per operation and per 24 hours, in minor units, 0 ≤ per operation ≤ per day ≤
 * MAX_AMOUNT_MINOR (0 forbids them). Permission `place.settings` (API key scope `place:write`); audited.
 */
export async function setRefundLimits(
  db: Db,
  actor: Actor,
  input: { slug: string; perOperation: unknown; perDay: unknown },
): Promise<RefundLimits & { isDefault: boolean }> {
  const errors = new FieldErrors();
  const perOperation = readLimit(errors, 'perOperation', input.perOperation);
  const perDay = readLimit(errors, 'perDay', input.perDay);
  if (!errors.has('perOperation') && !errors.has('perDay') && perOperation > perDay)
    errors.add('perOperation', 'ledger.refund-limit-order');
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.settings');
    errors.throwIfAny();
    await trx
      .insertInto('ledger_refund_limits')
      .values({ place_id: place.id, per_operation: perOperation, per_day: perDay })
      .onConflict((oc) =>
        oc.column('place_id').doUpdateSet({ per_operation: perOperation, per_day: perDay, updated_at: new Date() }),
      )
      .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'ledger.refund-limits-set',
      subjectId: place.id,
      data: { perOperation, perDay },
    });
    return refundLimitsOf(trx, place.id);
  });
}

/** The venue's limits, for whoever may read its settings or give money back from it. */
export async function readRefundLimits(
  db: Db,
  actor: Actor,
  input: { slug: string },
): Promise<RefundLimits & { isDefault: boolean }> {
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    try {
      await authorize(trx, actor, place.id, 'refund');
    } catch (error) {
      if (!(error instanceof DomainError) || error.status !== 403) throw error;
      await authorize(trx, actor, place.id, 'place.settings');
    }
    return refundLimitsOf(trx, place.id);
  });
}
