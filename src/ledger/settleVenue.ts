import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers, type Authorisation, type TransferSpec } from './engine.ts';
import { ensureAccount, settlementRole } from './ensureAccount.ts';
import type { Currency } from './ledger.ts';
import type { SettledSide, SettlementLine } from './tables.ts';

/**
 * The ledger side of settlement (docs/SETTLEMENT.md): the items a venue's statement counts, claimed
 * once, and the postings that move its tokens and cash into its settlement position. Called by the
 * settlement module inside the statement's transaction, which holds the federation's settlement lock.
 */

/** Transfer kinds written by settlement only; never items of a statement themselves. */
export const SETTLEMENT_KINDS = [
  'settlement',
  'settlement_cash',
  'settlement_fee',
  'settlement_payout',
  'settlement_remittance',
] as const;

/** The order of the lines on a statement. */
export const STATEMENT_LINES: readonly SettlementLine[] = [
  'till_sales',
  'tickets',
  'memberships',
  'other_received',
  'refunds',
  'other_paid',
  'cash_top_ups',
  'cash_outs',
];

/** A UUID derived from a statement id and a label: the same statement always names the same postings. */
export function settlementTransferId(statementId: string, label: string): string {
  const b = createHash('sha256').update(`rezo-settlement-v1|${statementId.toLowerCase()}|${label}`).digest();
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The federation's fee on the tokens settled: T × bps / 10000, rounded half up, exact (BigInt). */
export function settlementFee(tokensCents: number, feeBps: number): number {
  if (tokensCents <= 0 || feeBps <= 0) return 0;
  return Number((BigInt(tokensCents) * BigInt(feeBps) + 5000n) / 10000n);
}

interface Item {
  transferId: string;
  side: SettledSide;
  line: SettlementLine;
  /** Signed for the venue: + the federation owes it more. */
  amount: number;
  createdAt: Date;
}

/** Which line a movement of the venue's token account goes to: by direction, metadata and kind. */
export function tokenLine(incoming: boolean, kind: string, metadata: Record<string, unknown>): SettlementLine {
  if (!incoming) return kind === 'refund' ? 'refunds' : 'other_paid';
  if (metadata.sale !== undefined) return 'till_sales';
  if (metadata.order !== undefined) return 'tickets';
  if (metadata.membership !== undefined) return 'memberships';
  return 'other_received';
}

export interface SettleVenueInput {
  statementId: string;
  /** The federation's euro token. */
  currency: Currency;
  placeId: string;
  /** The period's start (the previous run's end), to mark late items; null for the first period. */
  periodStart: Date | null;
  /** The period's end: items written before it are settled. */
  end: Date;
  feeBps: number;
  authorisation: Authorisation;
}

export interface SettledVenue {
  openingCents: number;
  tokensCents: number;
  cashCents: number;
  feeCents: number;
  closingCents: number;
  lines: { line: SettlementLine; count: number; amountCents: number }[];
  /** `end`, or the run's time when the statement took the token movements written after the end. */
  coversTo: Date;
  items: number;
}

/**
 * Settles venue `placeId` for the period ending at `end`: locks its token account, reads the items no
 * statement has counted yet, claims them (ledger_settled_items: a transfer once per side), writes the
 * postings (settlement, settlement_cash, settlement_fee) and the euro records of those touching
 * issuance. All inside the caller's transaction; returns the statement's figures.
 */
export async function settleVenue(trx: Trx, input: SettleVenueInput): Promise<SettledVenue> {
  const { currency, placeId } = input;
  const place = await ensureAccount(trx, { currencyId: currency.id, ownerKind: 'place', ownerRef: placeId });
  const position = await ensureAccount(trx, {
    currencyId: currency.id,
    ownerKind: 'system',
    ownerRef: settlementRole(placeId),
  });
  const issuance = await ensureAccount(trx, { currencyId: currency.id, ownerKind: 'system', ownerRef: 'issuance' });
  // The row every wallet payment to the venue locks: a payment that committed before is seen by the
  // reads below (new statements), one that waits is written after, with a later created_at.
  const locked = await trx
    .selectFrom('ledger_accounts')
    .select(['balance', 'pending_debits'])
    .where('id', '=', place.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  // Only settlement moves a settlement account, and the caller holds the settlement lock: stable.
  const opening = (
    await trx.selectFrom('ledger_accounts').select('balance').where('id', '=', position.id).executeTakeFirstOrThrow()
  ).balance;

  const tokens = await unclaimedTokenItems(trx, place.id);
  const beforeEnd = tokens.filter((i) => i.createdAt < input.end);
  const available = locked.balance - locked.pending_debits;
  const sum = (items: Item[]) => items.reduce((n, i) => n + i.amount, 0);
  let settledTokens = beforeEnd;
  let coversTo = input.end;
  if (sum(beforeEnd) < 0 || sum(beforeEnd) > available) {
    // Tokens of the period were given back after its end: take every movement up to now, whose sum is
    // what the account holds (its tokens are exactly its unclaimed movements).
    settledTokens = tokens;
    coversTo = new Date();
    const all = sum(tokens);
    if (all !== locked.balance)
      throw new Error(
        `settlement: venue ${placeId}'s unsettled movements sum to ${all}, its account holds ${locked.balance}`,
      );
    if (all > available) {
      // A hold open on the venue's own account: its tokens wait for a later run.
      settledTokens = [];
      coversTo = input.end;
    }
  }
  const cash = await unclaimedCashItems(trx, currency.id, placeId, input.end);
  const items = [...settledTokens, ...cash];
  const tokensCents = sum(settledTokens);
  const cashCents = sum(cash);
  const feeCents = settlementFee(tokensCents, input.feeBps);
  const closingCents = opening + tokensCents + cashCents - feeCents;

  const lines = STATEMENT_LINES.flatMap((line) => {
    const of = items.filter((i) => i.line === line);
    return of.length === 0 ? [] : [{ line, count: of.length, amountCents: sum(of) }];
  });
  await claim(trx, input, items);

  const specs: TransferSpec[] = [];
  const euros: { id: string; kind: 'cash_kept' | 'fee'; amount: number }[] = [];
  const meta = { statement: input.statementId };
  if (tokensCents > 0)
    specs.push({
      id: settlementTransferId(input.statementId, 'tokens'),
      phase: 'single',
      kind: 'settlement',
      debitAccountId: place.id,
      creditAccountId: position.id,
      amount: tokensCents,
      metadata: meta,
    });
  if (cashCents !== 0) {
    const id = settlementTransferId(input.statementId, 'cash');
    // cashCents < 0: the venue keeps the federation's cash it holds (burnt from its position);
    // > 0: it paid out more than it collected, the federation owes it back (minted into its position).
    specs.push({
      id,
      phase: 'single',
      kind: 'settlement_cash',
      debitAccountId: cashCents < 0 ? position.id : issuance.id,
      creditAccountId: cashCents < 0 ? issuance.id : position.id,
      amount: Math.abs(cashCents),
      metadata: meta,
    });
    euros.push({ id, kind: 'cash_kept', amount: -cashCents });
  }
  if (feeCents > 0) {
    const id = settlementTransferId(input.statementId, 'fee');
    specs.push({
      id,
      phase: 'single',
      kind: 'settlement_fee',
      debitAccountId: position.id,
      creditAccountId: issuance.id,
      amount: feeCents,
      metadata: meta,
    });
    euros.push({ id, kind: 'fee', amount: feeCents });
  }
  if (specs.length > 0) {
    await appendTransfers(trx, {
      specs,
      requestSha256: sha256Hex(canonicalJson({ op: 'settlement', statement: input.statementId, specs })),
      batchId: specs.length > 1 ? specs[0]!.id : null,
      authorisation: input.authorisation,
    });
  }
  if (euros.length > 0)
    await trx
      .insertInto('ledger_settlement_euros')
      .values(
        euros.map((e) => ({
          transfer_id: e.id,
          currency_id: currency.id,
          place_id: placeId,
          statement_id: input.statementId,
          kind: e.kind,
          amount_cents: e.amount,
          reference: `statement:${input.statementId}`,
        })),
      )
      .execute();
  return {
    openingCents: opening,
    tokensCents,
    cashCents,
    feeCents,
    closingCents,
    lines,
    coversTo,
    items: items.length,
  };
}

/** Every movement of the venue's token account that no statement counted yet, oldest first. */
async function unclaimedTokenItems(trx: Trx, placeAccountId: string): Promise<Item[]> {
  const rows = await trx
    .selectFrom('ledger_transfers as t')
    .select(['t.id', 't.kind', 't.amount', 't.created_at', 't.metadata', 't.credit_account_id'])
    .where((eb) =>
      eb.or([eb('t.credit_account_id', '=', placeAccountId), eb('t.debit_account_id', '=', placeAccountId)]),
    )
    .where('t.phase', 'in', ['single', 'post'])
    .where('t.kind', 'not in', [...SETTLEMENT_KINDS])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('ledger_settled_items as i')
            .select('i.transfer_id')
            .whereRef('i.transfer_id', '=', 't.id')
            .where('i.side', '=', 'tokens'),
        ),
      ),
    )
    .orderBy('t.created_at')
    .orderBy('t.id')
    .execute();
  return rows.map((r) => {
    const incoming = r.credit_account_id === placeAccountId;
    return {
      transferId: r.id,
      side: 'tokens' as const,
      line: tokenLine(incoming, r.kind, r.metadata ?? {}),
      amount: incoming ? r.amount : -r.amount,
      createdAt: r.created_at,
    };
  });
}

/**
 * The venue's cash items written before `end` and not counted yet: top-ups minted against a payment
 * it took (its reference names the venue) — euros it owes the federation — and payouts it made
 * (cash-outs, reversed top-ups: the burn was authorised at the venue) — euros the federation owes it.
 */
async function unclaimedCashItems(trx: Trx, currencyId: string, placeId: string, end: Date): Promise<Item[]> {
  const { rows } = await sql<{ id: string; amount: string; created_at: Date; line: 'cash_top_ups' | 'cash_outs' }>`
    select t.id, -r.amount_cents as amount, t.created_at, 'cash_top_ups' as line
      from ledger_payment_references r join ledger_transfers t on t.id = r.transfer_id
      where r.currency_id = ${currencyId}::uuid and r.place_id = ${placeId}::uuid and t.created_at < ${end}
        and not exists (select 1 from ledger_settled_items i where i.transfer_id = t.id and i.side = 'cash')
    union all
    select t.id, sum(o.amount_cents) as amount, t.created_at, 'cash_outs' as line
      from ledger_payouts o join ledger_transfers t on t.id = o.transfer_id
      where t.currency_id = ${currencyId}::uuid and t.place_id = ${placeId}::uuid and t.created_at < ${end}
        and not exists (select 1 from ledger_settled_items i where i.transfer_id = t.id and i.side = 'cash')
      group by t.id, t.created_at
    order by created_at, id`.execute(trx);
  return rows.map((r) => ({
    transferId: r.id,
    side: 'cash' as const,
    line: r.line,
    amount: Number(r.amount),
    createdAt: r.created_at,
  }));
}

/** Claims the items for the statement; the primary key (transfer, side) refuses any counted before. */
async function claim(trx: Trx, input: SettleVenueInput, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 2000) {
    await trx
      .insertInto('ledger_settled_items')
      .values(
        items.slice(i, i + 2000).map((item) => ({
          transfer_id: item.transferId,
          side: item.side,
          currency_id: input.currency.id,
          place_id: input.placeId,
          statement_id: input.statementId,
          line: item.line,
          amount: item.amount,
          late: input.periodStart !== null && item.createdAt < input.periodStart,
        })),
      )
      .execute();
  }
}
