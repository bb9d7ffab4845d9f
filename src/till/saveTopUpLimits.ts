import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { giftCurrenciesOf, topUpCurrenciesOf } from '../ledger/index.ts';
import { topUpLimitsFor, type CurrencyTopUpLimits, type TopUpLimits } from './topUpLimits.ts';

const FIELDS = ['lineMaxCents', 'saleMaxCents', 'cardDayMaxCents', 'dayMaxCents'] as const;

/** The limits as a page sends them: euros typed ("500", "20,50"), one field per limit without `Cents`. */
export function limitsFromForm(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const raw = body[field.replace('Cents', '')];
    const cents = typeof raw === 'string' ? parseEuros(raw) : null;
    out[field] = cents ?? (typeof raw === 'string' && raw.trim() !== '' ? raw : undefined);
  }
  return out;
}

/**
 * A venue admin sets the counter top-up limits of one currency the venue credits (docs/POINTS-OF-SALE.md,
 * "Top-up limits"): each an integer of cents from 1 to MAX_AMOUNT_MINOR. Permission `place.settings`,
 * checked in the transaction; audited. A currency the venue does not credit at its counter → 422.
 */
export async function saveTopUpLimits(
  db: Db,
  actor: Actor,
  input: { placeId: string; currencyId: string } & Partial<Record<(typeof FIELDS)[number], unknown>>,
): Promise<CurrencyTopUpLimits> {
  const errors = new FieldErrors();
  const limits = {} as TopUpLimits;
  for (const field of FIELDS) {
    const v = input[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_AMOUNT_MINOR)
      errors.add(field, 'range', { min: 1, max: MAX_AMOUNT_MINOR });
    else limits[field] = v;
  }
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    const creditable = [
      ...(await topUpCurrenciesOf(trx, input.placeId)),
      ...(await giftCurrenciesOf(trx, input.placeId)),
    ];
    const currency = creditable.find((c) => c.id === input.currencyId);
    if (!currency) {
      errors.add('currencyId', 'choice');
      errors.throwIfAny();
    }
    const row = {
      line_max_cents: limits.lineMaxCents,
      sale_max_cents: limits.saleMaxCents,
      card_day_max_cents: limits.cardDayMaxCents,
      day_max_cents: limits.dayMaxCents,
      updated_at: new Date(),
    };
    await trx
      .insertInto('till_top_up_limits')
      .values({ place_id: input.placeId, currency_id: input.currencyId, ...row })
      .onConflict((oc) => oc.columns(['place_id', 'currency_id']).doUpdateSet(row))
      .execute();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'till.limits.updated',
      subjectId: input.currencyId,
      data: { ...limits },
    });
    return (await topUpLimitsFor(trx, input.placeId, [currency!]))[0]!;
  });
}
