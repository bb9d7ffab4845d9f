import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { forbidden } from '../shared/errors.ts';

export interface HolderDebt {
  /** The refund or dispute that took the euros back (its provider's id). */
  reference: string;
  reason: 'refund' | 'dispute';
  currencyCode: string;
  federationId: string | null;
  accountId: string;
  /** The holder, when the account is a person's. */
  personId: string | null;
  /** The payment whose tokens were spent before it was taken back (provider:reference). */
  payment: string;
  amountCents: number;
  createdAt: Date;
}

/**
 * What holders owe after euros were given back for tokens already spent (docs/LEDGER.md rule 5,
 * `ledger_debts`), newest first, optionally of one federation's currencies. For node operators
 * (/admin/payments) and the node; the settlement module shows a federation's debts to its treasurers
 * after authorising them (authorizeTreasurer), reading them as the node.
 */
export async function listHolderDebts(
  db: Db,
  actor: Actor,
  options: { federationId?: string; limit?: number },
): Promise<HolderDebt[]> {
  if (!(actor.kind === 'system' || (actor.kind === 'person' && actor.isOperator))) throw forbidden();
  let q = db
    .selectFrom('ledger_debts as d')
    .innerJoin('ledger_currencies as c', 'c.id', 'd.currency_id')
    .innerJoin('ledger_accounts as a', 'a.id', 'd.account_id')
    .select([
      'd.reversal_reference',
      'd.reason',
      'c.code',
      'c.issuer_federation_id',
      'd.account_id',
      'a.owner_kind',
      'a.owner_ref',
      'd.payment_provider',
      'd.payment_reference',
      'd.amount_cents',
      'd.created_at',
    ])
    .orderBy('d.created_at', 'desc')
    .limit(Math.min(options.limit ?? 200, 1000));
  if (options.federationId) q = q.where('c.issuer_federation_id', '=', options.federationId);
  const rows = await q.execute();
  return rows.map((r) => ({
    reference: r.reversal_reference,
    reason: r.reason,
    currencyCode: r.code,
    federationId: r.issuer_federation_id,
    accountId: r.account_id,
    personId: r.owner_kind === 'person' ? r.owner_ref : null,
    payment: `${r.payment_provider}:${r.payment_reference}`,
    amountCents: r.amount_cents,
    createdAt: r.created_at,
  }));
}
