import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { decimalSeparator, groupSeparator, type Language } from '../i18n/i18n.ts';
import { listCheckpoints, type Checkpoint } from './signCheckpoints.ts';
import { placeNamesById } from '../places/index.ts';

export interface CurrencyReport {
  code: string;
  name: string;
  kind: string;
  decimals: number;
  issuer: string;
  /** Tokens in circulation: −balance of the issuance account. */
  supply: number;
  /** Accounts (people, cards, venues) holding a positive balance. */
  holders: number;
  /** Euro-backed currencies: euros received minus euros paid out, in cents; null otherwise. */
  euroReserve: number | null;
  transfers: number;
  latestCheckpoint: Checkpoint | null;
  /** A federation's euro token: where its euros are owed (docs/SETTLEMENT.md); null for other currencies. */
  settlement: SettlementFigures | null;
}

/** In cents. `euroReserve` − settled = `held`; held ≥ inWallets + atVenues + owedToVenues − owedByVenues. */
export interface SettlementFigures {
  /** Euros held: payments received − payouts − euros settled with venues (cash they kept, fees, payouts). */
  held: number;
  /** Tokens in wallets (people and cards). */
  inWallets: number;
  /** Tokens received by venues and not settled yet. */
  atVenues: number;
  /** Settled and not paid to the venues yet. */
  owedToVenues: number;
  /** Settled and not received from the venues yet (cash they collected). */
  owedByVenues: number;
}

/** What /transparency shows: public figures per active currency, nothing about any one person. */
export async function transparencyReport(db: Db): Promise<CurrencyReport[]> {
  const rows = await db
    .selectFrom('ledger_currencies as c')
    .innerJoin('ledger_chain_heads as h', 'h.currency_id', 'c.id')
    .leftJoin('ledger_federations as f', 'f.id', 'c.issuer_federation_id')
    .select([
      'c.id',
      'c.code',
      'c.name',
      'c.kind',
      'c.decimals',
      'c.euro_backed',
      'h.position',
      'f.name as federation',
      'c.issuer_place_id',
      'c.issuer_federation_id',
    ])
    .select((eb) => [
      eb
        .selectFrom('ledger_accounts as a')
        .select(sql<number>`coalesce(-sum(a.balance), 0)`.as('s'))
        .whereRef('a.currency_id', '=', 'c.id')
        .where('a.owner_kind', '=', 'system')
        .where('a.owner_ref', '=', 'issuance')
        .as('supply'),
      eb
        .selectFrom('ledger_accounts as a')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('a.currency_id', '=', 'c.id')
        .where('a.owner_kind', '<>', 'system')
        .where('a.balance', '>', 0)
        .as('holders'),
      eb
        .selectFrom('ledger_payment_references as r')
        .select(sql<number>`coalesce(sum(r.amount_cents), 0)`.as('r'))
        .whereRef('r.currency_id', '=', 'c.id')
        .as('received'),
      // Every payout, with or without a payment reference (cash paid out at a counter): its currency is its burn transfer's.
      eb
        .selectFrom('ledger_payouts as o')
        .innerJoin('ledger_transfers as t', 't.id', 'o.transfer_id')
        .select(sql<number>`coalesce(sum(o.amount_cents), 0)`.as('o'))
        .whereRef('t.currency_id', '=', 'c.id')
        .as('paid'),
      // Sealed (legacy chain, then blocks) plus not yet sealed.
      eb
        .selectFrom('ledger_blocks as b')
        .select(sql<number>`max(b.last_position)`.as('p'))
        .whereRef('b.currency_id', '=', 'c.id')
        .as('sealed'),
      eb
        .selectFrom('ledger_settlement_euros as e')
        .select(sql<number>`coalesce(sum(e.amount_cents), 0)`.as('e'))
        .whereRef('e.currency_id', '=', 'c.id')
        .as('settled'),
      eb
        .selectFrom('ledger_unsealed as u')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('u.currency_id', '=', 'c.id')
        .as('unsealed'),
    ])
    .where('c.status', '=', 'active')
    .orderBy('c.kind')
    .orderBy('c.code')
    .execute();
  const placeNames = await placeNamesById(
    db,
    rows.flatMap((r) => (r.issuer_place_id ? [r.issuer_place_id] : [])),
  );
  const out: CurrencyReport[] = [];
  for (const r of rows) {
    const [latest] = await listCheckpoints(db, { currencyCode: r.code, limit: 1 });
    const euroReserve = r.euro_backed ? Number(r.received ?? 0) - Number(r.paid ?? 0) : null;
    out.push({
      code: r.code,
      name: r.name,
      kind: r.kind,
      decimals: r.decimals,
      issuer: r.federation ?? (r.issuer_place_id ? placeNames.get(r.issuer_place_id) : undefined) ?? '',
      supply: Number(r.supply ?? 0),
      holders: Number(r.holders ?? 0),
      euroReserve,
      transfers: Math.max(r.position, Number(r.sealed ?? 0)) + Number(r.unsealed ?? 0),
      latestCheckpoint: latest ?? null,
      settlement: r.issuer_federation_id
        ? await settlementFigures(db, r.id, euroReserve! - Number(r.settled ?? 0))
        : null,
    });
  }
  return out;
}

async function settlementFigures(db: Db, currencyId: string, held: number): Promise<SettlementFigures> {
  const { rows } = await sql<{ in_wallets: string; at_venues: string; owed_to: string; owed_by: string }>`
    select coalesce(sum(balance) filter (where owner_kind in ('person', 'card')), 0) as in_wallets,
           coalesce(sum(balance) filter (where owner_kind = 'place'), 0) as at_venues,
           coalesce(sum(greatest(balance, 0)) filter (where owner_kind = 'system' and owner_ref like 'settlement:%'), 0) as owed_to,
           coalesce(-sum(least(balance, 0)) filter (where owner_kind = 'system' and owner_ref like 'settlement:%'), 0) as owed_by
      from ledger_accounts where currency_id = ${currencyId}::uuid`.execute(db);
  const r = rows[0]!;
  return {
    held,
    inWallets: Number(r.in_wallets),
    atVenues: Number(r.at_venues),
    owedToVenues: Number(r.owed_to),
    owedByVenues: Number(r.owed_by),
  };
}

/** Minor units to a decimal string, by integer arithmetic (never through a float). */
export function formatAmount(amount: number, decimals: number, lang: Language): string {
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = decimals > 0 ? digits.slice(digits.length - decimals) : '';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, groupSeparator(lang));
  return `${negative ? '−' : ''}${grouped}${frac ? decimalSeparator(lang) + frac : ''}`;
}
