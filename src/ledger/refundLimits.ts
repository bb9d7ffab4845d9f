import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { DomainError } from '../shared/errors.ts';

/**
 * A venue's limits on money leaving its accounts through the transfer API (refunds and payouts), per
 * currency, in its minor units (docs/LEDGER.md, "Refunds and payouts"): each transfer at most
 * `perOperation`, and at most `perDay` in any 24 hours.
 */
export interface RefundLimits {
  perOperation: number;
  perDay: number;
}

/** For a venue that set nothing: 100,00 per refund, 500,00 per 24 hours (in a currency of 2 decimals). */
export const DEFAULT_REFUND_LIMITS: RefundLimits = { perOperation: 10_000, perDay: 50_000 };

/** One transfer of money leaving a venue's account. */
export interface Refund {
  transferId: string;
  placeId: string;
  currencyId: string;
  amount: number;
  kind: string;
  creditAccountId: string;
}

/** The venue's limits (its own, or the defaults when it set none). */
export async function refundLimitsOf(db: Db, placeId: string): Promise<RefundLimits & { isDefault: boolean }> {
  const row = await db
    .selectFrom('ledger_refund_limits')
    .select(['per_operation', 'per_day'])
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  return row
    ? { perOperation: Number(row.per_operation), perDay: Number(row.per_day), isDefault: false }
    : { ...DEFAULT_REFUND_LIMITS, isDefault: true };
}

const limitReached = (limit: 'operation' | 'day', max: number, left: number) =>
  new DomainError(`ledger-refund-limit-${limit}`, 422, { max, left });

/**
 * Each refund at most `perOperation`; per currency, what left the venue's account this way in the last
 * 24 hours plus these at most `perDay`. Called on the locked accounts (the engine's check): two refunds
 * of one venue and currency queue on the venue's account, so the second reads the first's row here.
 */
export async function checkRefundLimits(
  trx: Trx,
  placeId: string,
  refunds: Refund[],
  limits: RefundLimits | null,
): Promise<void> {
  const { perOperation, perDay } = limits ?? DEFAULT_REFUND_LIMITS;
  for (const r of refunds) if (r.amount > perOperation) throw limitReached('operation', perOperation, perOperation);
  const asked = new Map<string, number>();
  for (const r of refunds) asked.set(r.currencyId, (asked.get(r.currencyId) ?? 0) + r.amount);
  const { rows } = await sql<{ currency_id: string; used: string }>`select currency_id, sum(amount)::text as used
    from ledger_refunds where place_id = ${placeId}::uuid and currency_id = any(${[...asked.keys()]}::uuid[])
      and created_at > now() - interval '24 hours'
    group by currency_id`.execute(trx);
  const used = new Map(rows.map((r) => [r.currency_id, Number(r.used)]));
  for (const [currencyId, amount] of asked) {
    const before = used.get(currencyId) ?? 0;
    if (before + amount > perDay) throw limitReached('day', perDay, Math.max(0, perDay - before));
  }
}

/** The refunds' rows (the 24-hour sums are read from them) and one audit entry, in the transaction of the transfers. */
export async function recordRefunds(
  trx: Trx,
  actor: Actor,
  refunds: Refund[],
  extra: Record<string, unknown>,
): Promise<void> {
  await trx
    .insertInto('ledger_refunds')
    .values(
      refunds.map((r) => ({
        transfer_id: r.transferId,
        place_id: r.placeId,
        currency_id: r.currencyId,
        amount: r.amount,
      })),
    )
    .execute();
  for (const placeId of new Set(refunds.map((r) => r.placeId)))
    await audit(trx, actor, {
      placeId,
      action: 'ledger.refund',
      subjectId: refunds[0]!.transferId,
      data: {
        ...extra,
        transfers: refunds
          .filter((r) => r.placeId === placeId)
          .map((r) => ({
            id: r.transferId,
            kind: r.kind,
            amount: r.amount,
            currency: r.currencyId,
            to: r.creditAccountId,
          })),
      },
    });
}

/** The venue's latest refunds and payouts (its admin page), newest first. */
export async function recentRefunds(
  db: Db,
  placeId: string,
  limit = 20,
): Promise<{ createdAt: Date; amount: number; kind: string; currencyCode: string; decimals: number }[]> {
  const rows = await db
    .selectFrom('ledger_refunds as r')
    .innerJoin('ledger_transfers as t', 't.id', 'r.transfer_id')
    .innerJoin('ledger_currencies as c', 'c.id', 'r.currency_id')
    .select(['r.created_at', 'r.amount', 't.kind', 'c.code', 'c.decimals'])
    .where('r.place_id', '=', placeId)
    .orderBy('r.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    createdAt: r.created_at,
    amount: Number(r.amount),
    kind: r.kind,
    currencyCode: r.code,
    decimals: r.decimals,
  }));
}
