import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { listCheckpoints, type Checkpoint } from './signCheckpoints.ts';

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
}

/** What /transparency shows: public figures per active currency, nothing about any one person. */
export async function transparencyReport(db: Db): Promise<CurrencyReport[]> {
  const rows = await db
    .selectFrom('ledger_currencies as c')
    .innerJoin('ledger_chain_heads as h', 'h.currency_id', 'c.id')
    .leftJoin('ledger_federations as f', 'f.id', 'c.issuer_federation_id')
    .leftJoin('places as p', 'p.id', 'c.issuer_place_id')
    .select([
      'c.id',
      'c.code',
      'c.name',
      'c.kind',
      'c.decimals',
      'c.euro_backed',
      'h.position',
      'f.name as federation',
      'p.name as place',
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
        .selectFrom('ledger_unsealed as u')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('u.currency_id', '=', 'c.id')
        .as('unsealed'),
    ])
    .where('c.status', '=', 'active')
    .orderBy('c.kind')
    .orderBy('c.code')
    .execute();
  const out: CurrencyReport[] = [];
  for (const r of rows) {
    const [latest] = await listCheckpoints(db, { currencyCode: r.code, limit: 1 });
    out.push({
      code: r.code,
      name: r.name,
      kind: r.kind,
      decimals: r.decimals,
      issuer: r.federation ?? r.place ?? '',
      supply: Number(r.supply ?? 0),
      holders: Number(r.holders ?? 0),
      euroReserve: r.euro_backed ? Number(r.received ?? 0) - Number(r.paid ?? 0) : null,
      transfers: Math.max(r.position, Number(r.sealed ?? 0)) + Number(r.unsealed ?? 0),
      latestCheckpoint: latest ?? null,
    });
  }
  return out;
}

/** Minor units to a decimal string, by integer arithmetic (never through a float). */
export function formatAmount(amount: number, decimals: number, lang: 'fr' | 'en'): string {
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = decimals > 0 ? digits.slice(digits.length - decimals) : '';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'fr' ? '\u202f' : ',');
  return `${negative ? '−' : ''}${grouped}${frac ? (lang === 'fr' ? ',' : '.') + frac : ''}`;
}
