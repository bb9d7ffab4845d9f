import type { Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { federationToken, postSettlementEuros } from '../ledger/index.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { authorisationOf } from './runSettlement.ts';
import { readStatement, type Payout, type Statement } from './statements.ts';
import type { PayoutDirection, PayoutMethod, SettlementPayoutsTable } from './tables.ts';
import { authorizeTreasurer, lockSettlement } from './treasurers.ts';

/** Shared rules of payouts and remittances (docs/SETTLEMENT.md, "Payouts and remittances"). */

export const MAX_REFERENCE = 140;

/** A bank reference as typed: 1 to 140 characters once trimmed. Field `bankReference`. */
export function readReference(errors: FieldErrors, raw: unknown): string {
  const reference = typeof raw === 'string' ? raw.trim() : '';
  if (!reference) errors.add('bankReference', 'required');
  else if (reference.length > MAX_REFERENCE) errors.add('bankReference', 'too-long', { max: MAX_REFERENCE });
  return reference;
}

/**
 * The date the money moved, `YYYY-MM-DD`; today (UTC) when not given. Field `paidOn`. A day that has
 * begun nowhere yet is refused: local dates run up to 14 hours ahead of UTC (Pacific/Kiritimati).
 */
export function readPaidOn(errors: FieldErrors, raw: unknown, now: Date): string {
  if (raw === undefined || raw === null || raw === '') return now.toISOString().slice(0, 10);
  const m = typeof raw === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw) : null;
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.getUTCDate() !== Number(m[3]) || date.getTime() - 14 * 3_600_000 > now.getTime()) {
    errors.add('paidOn', 'settlement.paid-on');
    return '';
  }
  return raw as string;
}

export type PayoutRow = SettlementPayoutsTable & { id: string };

/**
 * The statement to settle in euros, checked under the federation's settlement lock: authorised
 * (treasurer), not settled already (409 `settlement-already-settled`), not waiting on Stripe (409
 * `settlement-payout-pending`, unless `allowPending` — only the Stripe flow resumes its own), the
 * venue's latest (409 `settlement-statement-carried`), and of the right sign (409
 * `settlement-nothing-to-pay` / `settlement-nothing-to-receive`).
 */
export async function payableStatement(
  trx: Trx,
  actor: Actor,
  statementId: unknown,
  direction: PayoutDirection,
  options: { allowPending?: boolean } = {},
): Promise<{ statement: Statement; payout: Payout | null }> {
  const found = await readStatement(trx, statementId);
  await authorizeTreasurer(trx, actor, found.federationId);
  await lockSettlement(trx, found.federationId);
  // Read again under the lock: a payout or a run may have committed meanwhile.
  const statement = await readStatement(trx, found.id);
  const payout = statement.payout;
  if (payout?.status === 'paid') throw new DomainError('settlement-already-settled', 409, { id: statement.id });
  if (payout?.status === 'pending' && !options.allowPending)
    throw new DomainError('settlement-payout-pending', 409, { statement: statement.id });
  if (statement.state === 'carried') throw new DomainError('settlement-statement-carried', 409, { id: statement.id });
  if (direction === 'to_venue' && statement.closingCents <= 0)
    throw new DomainError('settlement-nothing-to-pay', 409, { id: statement.id });
  if (direction === 'from_venue' && statement.closingCents >= 0)
    throw new DomainError('settlement-nothing-to-receive', 409, { id: statement.id });
  return { statement, payout };
}

/** 409 `settlement-reference-used` when the federation already recorded this reference (unique index behind). */
export async function assertReferenceFree(trx: Trx, federationId: string, method: PayoutMethod, reference: string) {
  const used = await trx
    .selectFrom('settlement_payouts')
    .select('statement_id')
    .where('federation_id', '=', federationId)
    .where('method', '=', method)
    .where('reference', '=', reference)
    .executeTakeFirst();
  if (used) throw new DomainError('settlement-reference-used', 409, { reference });
}

/**
 * Writes the settlement posting (payout or remittance) of the statement's whole closing and marks its
 * payout row paid (inserted, or the failed/pending Stripe row updated), with its audit entry.
 */
export async function recordSettled(
  trx: Trx,
  actor: Actor,
  statement: Statement,
  input: {
    direction: PayoutDirection;
    method: PayoutMethod;
    reference: string;
    paidOn: string;
    existing: Payout | null;
    stripeAccount?: string | null;
  },
): Promise<Payout> {
  const currency = await federationToken(trx, statement.federationId);
  if (!currency || currency.id !== statement.currencyId)
    throw new Error('settlement: the statement’s currency is gone');
  const amount = Math.abs(statement.closingCents);
  const transfer = await postSettlementEuros(trx, {
    kind: input.direction === 'to_venue' ? 'payout' : 'remittance',
    currency,
    placeId: statement.placeId,
    statementId: statement.id,
    amount,
    reference: input.reference,
    expectedBalance: statement.closingCents,
    authorisation: authorisationOf(actor),
  });
  const recordedBy = actor.kind === 'person' ? actor.personId : null;
  const values = {
    direction: input.direction,
    method: input.method,
    amount_cents: amount,
    status: 'paid' as const,
    reference: input.reference,
    paid_on: input.paidOn,
    transfer_id: transfer.id,
    recorded_by: recordedBy,
    updated_at: new Date(),
    ...(input.stripeAccount !== undefined ? { stripe_account: input.stripeAccount } : {}),
  };
  const row = input.existing
    ? await trx
        .updateTable('settlement_payouts')
        .set(values)
        .where('id', '=', input.existing.id)
        .returning(['id'])
        .executeTakeFirstOrThrow()
    : await trx
        .insertInto('settlement_payouts')
        .values({
          id: uuidv7(),
          federation_id: statement.federationId,
          statement_id: statement.id,
          place_id: statement.placeId,
          ...values,
        })
        .returning(['id'])
        .executeTakeFirstOrThrow();
  await audit(trx, actor, {
    placeId: statement.placeId,
    action: input.direction === 'to_venue' ? 'settlement.paid' : 'settlement.received',
    subjectId: statement.id,
    data: { amount, method: input.method, reference: input.reference, transfer: transfer.id },
  });
  const paid = await readStatement(trx, statement.id);
  if (paid.payout?.id !== row.id) throw new Error('settlement: payout not recorded');
  return paid.payout;
}
