import type { Trx } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers, type Authorisation } from './engine.ts';
import { ensureAccount, settlementRole } from './ensureAccount.ts';
import type { Currency, Transfer } from './ledger.ts';
import { settlementTransferId } from './settleVenue.ts';

export interface SettlementEurosInput {
  /** payout: euros paid to the venue (its position goes down); remittance: euros received from it. */
  kind: 'payout' | 'remittance';
  currency: Currency;
  placeId: string;
  statementId: string;
  /** Positive cents. */
  amount: number;
  /** The bank reference or the Stripe transfer id. */
  reference: string;
  /** What the venue's settlement account must hold, checked under its lock: the statement's closing. */
  expectedBalance: number;
  authorisation: Authorisation;
}

/**
 * Records a statement settled in euros (docs/SETTLEMENT.md, "Payouts and remittances"), inside the
 * caller's transaction: locks the venue's settlement account, checks it still holds the statement's
 * closing (else 409 `settlement-position-changed`), writes the `settlement_payout` (position →
 * issuance: those euros left the reserve, the claim is burnt) or `settlement_remittance` (issuance →
 * position) posting and its euro record. The posting's id is derived from the statement: once.
 */
export async function postSettlementEuros(trx: Trx, input: SettlementEurosInput): Promise<Transfer> {
  const { currency } = input;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new Error('settlement euros: amount must be > 0');
  const position = await ensureAccount(trx, {
    currencyId: currency.id,
    ownerKind: 'system',
    ownerRef: settlementRole(input.placeId),
  });
  const issuance = await ensureAccount(trx, { currencyId: currency.id, ownerKind: 'system', ownerRef: 'issuance' });
  const locked = await trx
    .selectFrom('ledger_accounts')
    .select('balance')
    .where('id', '=', position.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (locked.balance !== input.expectedBalance)
    throw new DomainError('settlement-position-changed', 409, { balance: locked.balance });
  const payout = input.kind === 'payout';
  const spec = {
    id: settlementTransferId(input.statementId, input.kind),
    phase: 'single' as const,
    kind: payout ? 'settlement_payout' : 'settlement_remittance',
    debitAccountId: payout ? position.id : issuance.id,
    creditAccountId: payout ? issuance.id : position.id,
    amount: input.amount,
    metadata: { statement: input.statementId, reference: input.reference },
  };
  const { transfers } = await appendTransfers(trx, {
    specs: [spec],
    requestSha256: sha256Hex(canonicalJson({ op: 'settlement-euros', statement: input.statementId, spec })),
    batchId: null,
    authorisation: input.authorisation,
  });
  await trx
    .insertInto('ledger_settlement_euros')
    .values({
      transfer_id: spec.id,
      currency_id: currency.id,
      place_id: input.placeId,
      statement_id: input.statementId,
      kind: input.kind,
      amount_cents: payout ? input.amount : -input.amount,
      reference: input.reference,
    })
    .execute();
  return transfers[0]!;
}
