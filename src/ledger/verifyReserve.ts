import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { Found, type ReserveSummary } from './verifyFindings.ts';

/** The euro checks of `rezo ledger verify`: holders' debts per currency, and each federation's reserve. */

/**
 * 8. Holders' debts (docs/LEDGER.md rule 5): each names a payment of its currency and an account of
 * its currency; per payment, what payouts and debts took back is at most the payment. Answers the
 * debts' total.
 */
export async function verifyDebts(
  db: Trx,
  currency: { id: string; code: string },
  fail: (check: string, where: string, message: string) => never,
): Promise<number> {
  const { rows: orphans } = await sql<{ reference: string }>`
    select d.reversal_reference as reference from ledger_debts d
      left join ledger_payment_references p
        on p.provider = d.payment_provider and p.reference = d.payment_reference and p.currency_id = d.currency_id
      left join ledger_accounts a on a.id = d.account_id and a.currency_id = d.currency_id
     where d.currency_id = ${currency.id}::uuid and (p.reference is null or a.id is null)
     limit 1`.execute(db);
  if (orphans[0])
    fail('debt-reference', `debt ${orphans[0].reference}`, 'its payment or its account is not of this currency');
  const { rows: beyond } = await sql<{ reference: string; amount: string; back: string }>`
    select p.reference, p.amount_cents as amount,
           coalesce((select sum(o.amount_cents) from ledger_payouts o
                      where o.payment_provider = p.provider and o.payment_reference = p.reference), 0)
         + coalesce((select sum(d.amount_cents) from ledger_debts d
                      where d.payment_provider = p.provider and d.payment_reference = p.reference), 0) as back
      from ledger_payment_references p
     where p.currency_id = ${currency.id}::uuid
       and exists (select 1 from ledger_debts d where d.payment_provider = p.provider and d.payment_reference = p.reference)
     order by p.reference`.execute(db);
  for (const b of beyond)
    if (Number(b.back) > Number(b.amount))
      fail(
        'reversed-beyond-payment',
        `payment ${b.reference}`,
        `payouts and debts take back ${b.back} of a payment of ${b.amount}`,
      );
  const { rows } = await sql<{ total: string }>`
    select coalesce(sum(amount_cents), 0) as total from ledger_debts where currency_id = ${currency.id}::uuid`.execute(
    db,
  );
  return Number(rows[0]!.total);
}

/** The ledger_settlement_euros kind of each settlement posting that touches issuance. */
const EURO_KIND_OF: Record<string, string> = {
  settlement_cash: 'cash_kept',
  settlement_fee: 'fee',
  settlement_payout: 'payout',
  settlement_remittance: 'remittance',
};

/**
 * The reserve of a federation's euro token (docs/SETTLEMENT.md): the euros held, from the euro records
 * (payments received − payouts − settlement euros), must cover the tokens in circulation plus what is
 * owed to the venues, from the account balances (already replayed). Then settlement's links: each euro
 * record has its posting (same amount, same direction), and each statement's postings equal its items.
 */
export async function verifyReserve(
  db: Trx,
  currency: { id: string; code: string; federationId: string },
): Promise<ReserveSummary> {
  const federation = await db
    .selectFrom('ledger_federations')
    .select('slug')
    .where('id', '=', currency.federationId)
    .executeTakeFirstOrThrow();
  const where = `federation ${federation.slug} (${currency.code})`;
  const fail = (check: string, at: string, message: string): never => {
    throw new Found({ check, currency: currency.code, where: at, message });
  };
  const total = async (query: ReturnType<typeof sql<{ total: string }>>) =>
    Number((await query.execute(db)).rows[0]!.total);
  const received = await total(
    sql`select coalesce(sum(amount_cents), 0) as total from ledger_payment_references where currency_id = ${currency.id}::uuid`,
  );
  const paidBack = await total(sql`select coalesce(sum(o.amount_cents), 0) as total from ledger_payouts o
    join ledger_transfers t on t.id = o.transfer_id where t.currency_id = ${currency.id}::uuid`);
  const settled = await total(
    sql`select coalesce(sum(amount_cents), 0) as total from ledger_settlement_euros where currency_id = ${currency.id}::uuid`,
  );
  const { rows: balances } = await sql<{ bucket: string; total: string; negative: string }>`
    select case when owner_kind in ('person', 'card') then 'circulation' when owner_kind = 'place' then 'venues'
                when owner_ref like 'settlement:%' then 'positions' else 'other' end as bucket,
           sum(balance) as total, sum(least(balance, 0)) as negative
      from ledger_accounts where currency_id = ${currency.id}::uuid and not (owner_kind = 'system' and owner_ref = 'issuance')
      group by 1`.execute(db);
  const bucket = (name: string) => Number(balances.find((b) => b.bucket === name)?.total ?? 0);
  const summary: ReserveSummary = {
    federation: federation.slug,
    code: currency.code,
    held: received - paidBack - settled,
    inCirculation: bucket('circulation'),
    atVenues: bucket('venues'),
    positions: bucket('positions'),
    owedByVenues: -Number(balances.find((b) => b.bucket === 'positions')?.negative ?? 0),
    other: bucket('other'),
  };
  const owed = summary.inCirculation + summary.atVenues + summary.positions + summary.other;
  if (summary.held < owed)
    fail(
      'reserve',
      where,
      `euros held ${summary.held} (payments ${received} - payouts ${paidBack} - settled ${settled}) are less than ` +
        `in circulation ${summary.inCirculation} + at venues ${summary.atVenues} + settlement positions ${summary.positions}` +
        (summary.other ? ` + other accounts ${summary.other}` : '') +
        ` = ${owed}`,
    );

  // Each euro record matches its posting; each posting touching issuance has its record.
  const { rows: records } = await sql<{
    transfer_id: string;
    kind: string;
    amount_cents: number;
    t_kind: string | null;
    amount: number | null;
    into_issuance: boolean | null;
    currency_id: string | null;
  }>`select e.transfer_id, e.kind, e.amount_cents, t.kind as t_kind, t.amount, t.currency_id,
       (t.credit_account_id = i.id) as into_issuance
     from ledger_settlement_euros e
     left join ledger_transfers t on t.id = e.transfer_id
     left join ledger_accounts i on i.currency_id = e.currency_id and i.owner_kind = 'system' and i.owner_ref = 'issuance'
     where e.currency_id = ${currency.id}::uuid`.execute(db);
  for (const r of records) {
    const expected = r.t_kind ? EURO_KIND_OF[r.t_kind] : undefined;
    const signed = r.amount === null ? null : r.into_issuance ? Number(r.amount) : -Number(r.amount);
    if (expected !== r.kind || r.currency_id !== currency.id || signed !== Number(r.amount_cents))
      fail(
        'settlement-record',
        `euro record of transfer ${r.transfer_id}`,
        `records ${r.kind} ${r.amount_cents}, its posting is ${r.t_kind ?? 'missing'} ${signed ?? ''}`,
      );
  }
  const unrecorded = await sql<{ id: string }>`select t.id from ledger_transfers t
    where t.currency_id = ${currency.id}::uuid and t.kind in ('settlement_cash', 'settlement_fee', 'settlement_payout', 'settlement_remittance')
      and not exists (select 1 from ledger_settlement_euros e where e.transfer_id = t.id) limit 1`.execute(db);
  if (unrecorded.rows[0])
    fail('settlement-record', `transfer ${unrecorded.rows[0].id}`, 'a settlement posting without its euro record');

  // Each statement's postings equal the items it claimed (tokens: the settlement posting; cash: the signed cash posting).
  const { rows: statements } = await sql<{ statement_id: string; side: string; items: string; posted: string }>`
    with items as (
      select statement_id, side, sum(amount) as total from ledger_settled_items where currency_id = ${currency.id}::uuid
      group by statement_id, side),
    posted as (
      select t.metadata->>'statement' as statement_id, case when t.kind = 'settlement' then 'tokens' else 'cash' end as side,
        sum(case when t.kind = 'settlement' then t.amount when t.credit_account_id = i.id then -t.amount else t.amount end) as total
      from ledger_transfers t
      join ledger_accounts i on i.currency_id = t.currency_id and i.owner_kind = 'system' and i.owner_ref = 'issuance'
      where t.currency_id = ${currency.id}::uuid and t.kind in ('settlement', 'settlement_cash')
      group by 1, 2)
    select coalesce(items.statement_id::text, posted.statement_id) as statement_id, coalesce(items.side, posted.side) as side,
      coalesce(items.total, 0) as items, coalesce(posted.total, 0) as posted
    from items full join posted on posted.statement_id = items.statement_id::text and posted.side = items.side
    where coalesce(items.total, 0) <> coalesce(posted.total, 0) limit 1`.execute(db);
  const wrong = statements[0];
  if (wrong)
    fail(
      'settlement-items',
      `statement ${wrong.statement_id} (${wrong.side})`,
      `its items sum to ${wrong.items}, its postings to ${wrong.posted}`,
    );
  return summary;
}
