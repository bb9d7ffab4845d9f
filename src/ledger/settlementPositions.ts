import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { SettledSide, SettlementLine } from './tables.ts';

/** Where a venue stands with its federation, now (docs/SETTLEMENT.md). All in cents, signed for the venue. */
export interface VenuePosition {
  placeId: string;
  /** Tokens on its account, not settled yet (owed to it). */
  tokensCents: number;
  /** Cash items not settled yet: − collected for the federation, + paid out for it. */
  cashCents: number;
  /** Its settlement account: settled and not paid (+) or not received (−). */
  positionCents: number;
}

/** The positions of some venues in a currency (the treasurer's page: what the next run would take). */
export async function venuePositions(
  db: Db,
  currencyId: string,
  placeIds: string[],
): Promise<Map<string, VenuePosition>> {
  const out = new Map<string, VenuePosition>(
    placeIds.map((id) => [id, { placeId: id, tokensCents: 0, cashCents: 0, positionCents: 0 }]),
  );
  if (placeIds.length === 0) return out;
  const accounts = await db
    .selectFrom('ledger_accounts')
    .select(['owner_kind', 'owner_ref', 'balance'])
    .where('currency_id', '=', currencyId)
    .where((eb) =>
      eb.or([
        eb.and([eb('owner_kind', '=', 'place'), eb('owner_ref', 'in', placeIds)]),
        eb.and([
          eb('owner_kind', '=', 'system'),
          eb(
            'owner_ref',
            'in',
            placeIds.map((id) => `settlement:${id}`),
          ),
        ]),
      ]),
    )
    .execute();
  for (const a of accounts) {
    if (a.owner_kind === 'place') out.get(a.owner_ref)!.tokensCents = a.balance;
    else out.get(a.owner_ref.slice('settlement:'.length))!.positionCents = a.balance;
  }
  const { rows } = await sql<{ place_id: string; amount: string }>`
    select place_id, sum(amount) as amount from (
      select r.place_id, -r.amount_cents as amount from ledger_payment_references r
        where r.currency_id = ${currencyId}::uuid and r.place_id = any(${placeIds}::uuid[])
          and not exists (select 1 from ledger_settled_items i where i.transfer_id = r.transfer_id and i.side = 'cash')
      union all
      select t.place_id, o.amount_cents as amount from ledger_payouts o join ledger_transfers t on t.id = o.transfer_id
        where t.currency_id = ${currencyId}::uuid and t.place_id = any(${placeIds}::uuid[])
          and not exists (select 1 from ledger_settled_items i where i.transfer_id = t.id and i.side = 'cash')
    ) c group by place_id`.execute(db);
  for (const r of rows) out.get(r.place_id)!.cashCents = Number(r.amount);
  return out;
}

export interface SettledItem {
  transferId: string;
  side: SettledSide;
  line: SettlementLine;
  amountCents: number;
  late: boolean;
  /** When the transfer was written. */
  createdAt: Date;
  kind: string;
  /** The till sale, order or membership the transfer names, if any. */
  subject: string | null;
}

/** The items a statement settled, in the order they were written (its CSV's lines). */
export async function settledItems(db: Db, statementId: string): Promise<SettledItem[]> {
  const rows = await db
    .selectFrom('ledger_settled_items as i')
    .innerJoin('ledger_transfers as t', 't.id', 'i.transfer_id')
    .select(['i.transfer_id', 'i.side', 'i.line', 'i.amount', 'i.late', 't.created_at', 't.kind', 't.metadata'])
    .where('i.statement_id', '=', statementId)
    .orderBy('t.created_at')
    .orderBy('i.transfer_id')
    .execute();
  return rows.map((r) => {
    const m = (r.metadata ?? {}) as Record<string, unknown>;
    const subject = [m.sale, m.order, m.membership, m.payment, m.payout].find((v) => typeof v === 'string') as
      | string
      | undefined;
    return {
      transferId: r.transfer_id,
      side: r.side,
      line: r.line,
      amountCents: r.amount,
      late: r.late,
      createdAt: r.created_at,
      kind: r.kind,
      subject: subject ?? null,
    };
  });
}
