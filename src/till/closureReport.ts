import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ArticleKind, PaymentMethod } from './tables.ts';

/**
 * The totals of a Z report (docs/CLOSURES.md, "Totals"), version 1. Every amount is signed minor
 * units (euro cents) as in the journal: + money in for the venue, − money out. Arrays are in a fixed
 * order, so the canonical JSON of the totals (and its SHA-256, which the closure signs) is stable.
 */
export interface ClosureTotals {
  version: 1;
  /** Journal lines summed (items and payments). */
  lineCount: number;
  /** Sales that are not reversals, and reversals ("cancel the last sale") with their item total (≤ 0). */
  salesCount: number;
  reversals: { count: number; amountCents: number };
  itemsTotalCents: number;
  paymentsTotalCents: number;
  /** Σ cash payment lines (signed): what the drawer should hold beyond its opening float. */
  expectedCashCents: number;
  /** By payment method; card payments per currency (the token taken from the wallet). */
  payments: { method: PaymentMethod; currency: string | null; count: number; amountCents: number }[];
  /** By article as frozen in the journal (name, kind and category at the time of the sale). */
  articles: {
    articleId: string;
    name: string;
    kind: ArticleKind;
    category: string | null;
    quantity: number;
    amountCents: number;
  }[];
  categories: { category: string | null; quantity: number; amountCents: number }[];
  kinds: { kind: ArticleKind; quantity: number; amountCents: number }[];
  /**
   * Money movements that are not sales of goods (top-ups, gift top-ups, cash-outs, deposits taken and
   * returned), by how their sale was paid: one method, or `mixed` when the sale was split.
   */
  movements: {
    kind: ArticleKind;
    method: PaymentMethod | 'mixed' | 'none';
    sales: number;
    quantity: number;
    amountCents: number;
  }[];
  /**
   * Sales a till queued offline whose own day was closed, booked on this day (docs/TILL.md, "Offline
   * sales"), by the day they were sold on: their item total. Absent when there are none, so totals of
   * days without them (and closures signed before it existed) are unchanged.
   */
  late?: { count: number; amountCents: number; days: { soldOn: string; count: number; amountCents: number }[] };
  /** VAT per rate (basis points) over goods sold (kinds sale, membership, free): VAT = gross × rate / (10000 + rate), rounded per rate total. */
  vat: { rate: number; grossCents: number; vatCents: number; netCents: number }[];
}

export interface ClosureReport {
  placeId: string;
  pointId: string;
  businessDay: string;
  firstPosition: number | null;
  lastPosition: number | null;
  totals: ClosureTotals;
}

/** Kinds whose amount is turnover subject to VAT; the others move money or tokens, not goods. */
export const VAT_KINDS: readonly ArticleKind[] = ['sale', 'membership', 'free'];
/** Kinds reported as money movements. */
export const MOVEMENT_KINDS: readonly ArticleKind[] = [
  'top_up',
  'gift_top_up',
  'cash_out',
  'deposit',
  'deposit_return',
];

/** VAT included in a gross amount at `rate` basis points, rounded half away from zero (exact, in BigInt). */
export function vatOf(grossCents: number, rate: number): number {
  if (rate === 0 || grossCents === 0) return 0;
  const num = BigInt(grossCents) * BigInt(rate);
  const den = BigInt(10000 + rate);
  const abs = num < 0n ? -num : num;
  const q = (abs * 2n + den) / (den * 2n);
  return Number(num < 0n ? -q : q);
}

const n = (v: unknown): number => Number(v ?? 0);

/**
 * Sums the venue's sales journal for one point of sale and business day — pure reads, no permission
 * check (callers check 'till'). `upToPosition` limits the sum to the lines a closure covered.
 */
export async function closureReport(
  db: Db,
  placeId: string,
  pointId: string,
  businessDay: string,
  options: { upToPosition?: number } = {},
): Promise<ClosureReport> {
  const upTo = options.upToPosition ?? Number.MAX_SAFE_INTEGER;
  const base = sql`j.place_id = ${placeId} and j.point_id = ${pointId} and j.business_day = ${businessDay} and j.position <= ${upTo}`;
  const [summary, payments, articles, vat, movements, late] = await Promise.all([
    sql<{
      lines: unknown;
      first: unknown;
      last: unknown;
      sales: unknown;
      reversals: unknown;
      reversal_cents: unknown;
      items: unknown;
      paid: unknown;
      cash: unknown;
    }>`
      select count(*)::bigint as lines, min(j.position) as first, max(j.position) as last,
        count(distinct j.sale_id) filter (where s.reverses_sale_id is null)::bigint as sales,
        count(distinct j.sale_id) filter (where s.reverses_sale_id is not null)::bigint as reversals,
        coalesce(sum(j.amount_cents) filter (where j.kind = 'item' and s.reverses_sale_id is not null), 0)::bigint as reversal_cents,
        coalesce(sum(j.amount_cents) filter (where j.kind = 'item'), 0)::bigint as items,
        coalesce(sum(j.amount_cents) filter (where j.kind = 'payment'), 0)::bigint as paid,
        coalesce(sum(j.amount_cents) filter (where j.kind = 'payment' and j.payment_method = 'cash'), 0)::bigint as cash
      from till_journal j join till_sales s on s.id = j.sale_id
      where ${base}`.execute(db),
    sql<{ method: PaymentMethod; currency: string | null; count: unknown; cents: unknown }>`
      select j.payment_method as method, case when j.payment_method = 'card' then j.currency_code end as currency,
        count(*)::bigint as count, sum(j.amount_cents)::bigint as cents
      from till_journal j where ${base} and j.kind = 'payment'
      group by 1, 2`.execute(db),
    sql<{
      article_id: string;
      name: string;
      kind: ArticleKind;
      category: string | null;
      quantity: unknown;
      cents: unknown;
    }>`
      select j.article_id, j.article_name as name, j.article_kind as kind, j.category_name as category,
        coalesce(sum(j.quantity), 0)::bigint as quantity, sum(j.amount_cents)::bigint as cents
      from till_journal j where ${base} and j.kind = 'item'
      group by 1, 2, 3, 4`.execute(db),
    sql<{ rate: number; gross: unknown }>`
      select coalesce(j.vat_rate, 0) as rate, sum(j.amount_cents)::bigint as gross
      from till_journal j where ${base} and j.kind = 'item' and j.article_kind in (${sql.join([...VAT_KINDS])})
      group by 1 order by 1`.execute(db),
    sql<{ kind: ArticleKind; method: string; sales: unknown; quantity: unknown; cents: unknown }>`
      with paid as (
        select j.sale_id, case when count(distinct j.payment_method) = 1 then min(j.payment_method) else 'mixed' end as method
        from till_journal j where ${base} and j.kind = 'payment' group by j.sale_id)
      select j.article_kind as kind, coalesce(p.method, 'none') as method, count(distinct j.sale_id)::bigint as sales,
        coalesce(sum(j.quantity), 0)::bigint as quantity, sum(j.amount_cents)::bigint as cents
      from till_journal j left join paid p on p.sale_id = j.sale_id
      where ${base} and j.kind = 'item' and j.article_kind in (${sql.join([...MOVEMENT_KINDS])})
      group by 1, 2`.execute(db),
    sql<{ sold_on: string; count: unknown; cents: unknown }>`
      select j.late_from_day::text as sold_on, count(distinct j.sale_id)::bigint as count,
        coalesce(sum(j.amount_cents) filter (where j.kind = 'item'), 0)::bigint as cents
      from till_journal j where ${base} and j.late_from_day is not null
      group by 1 order by 1`.execute(db),
  ]);
  const s = summary.rows[0]!;
  // Sorted here, by code points, not by the database's collation: the order is part of what is signed.
  const byName = (x: string | null, y: string | null) =>
    x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
  const articleRows = articles.rows
    .map((r) => ({
      articleId: r.article_id,
      name: r.name,
      kind: r.kind,
      category: r.category,
      quantity: n(r.quantity),
      amountCents: n(r.cents),
    }))
    .sort(
      (x, y) =>
        byName(x.category, y.category) ||
        byName(x.name, y.name) ||
        byName(x.articleId, y.articleId) ||
        byName(x.kind, y.kind),
    );
  const categories = new Map<string | null, { category: string | null; quantity: number; amountCents: number }>();
  const kinds = new Map<ArticleKind, { kind: ArticleKind; quantity: number; amountCents: number }>();
  for (const a of articleRows) {
    const c = categories.get(a.category) ?? { category: a.category, quantity: 0, amountCents: 0 };
    c.quantity += a.quantity;
    c.amountCents += a.amountCents;
    categories.set(a.category, c);
    const k = kinds.get(a.kind) ?? { kind: a.kind, quantity: 0, amountCents: 0 };
    k.quantity += a.quantity;
    k.amountCents += a.amountCents;
    kinds.set(a.kind, k);
  }
  const totals: ClosureTotals = {
    version: 1,
    lineCount: n(s.lines),
    salesCount: n(s.sales),
    reversals: { count: n(s.reversals), amountCents: n(s.reversal_cents) },
    itemsTotalCents: n(s.items),
    paymentsTotalCents: n(s.paid),
    expectedCashCents: n(s.cash),
    payments: payments.rows
      .map((r) => ({ method: r.method, currency: r.currency, count: n(r.count), amountCents: n(r.cents) }))
      .sort((x, y) => byName(x.method, y.method) || byName(x.currency, y.currency)),
    articles: articleRows,
    categories: [...categories.values()].sort((x, y) => byName(x.category, y.category)),
    kinds: [...kinds.values()].sort((x, y) => byName(x.kind, y.kind)),
    movements: movements.rows
      .map((r) => ({
        kind: r.kind,
        method: r.method as PaymentMethod | 'mixed' | 'none',
        sales: n(r.sales),
        quantity: n(r.quantity),
        amountCents: n(r.cents),
      }))
      .sort((x, y) => byName(x.kind, y.kind) || byName(x.method, y.method)),
    ...(late.rows.length > 0
      ? {
          late: {
            count: late.rows.reduce((x, r) => x + n(r.count), 0),
            amountCents: late.rows.reduce((x, r) => x + n(r.cents), 0),
            days: late.rows.map((r) => ({ soldOn: r.sold_on, count: n(r.count), amountCents: n(r.cents) })),
          },
        }
      : {}),
    vat: vat.rows.map((r) => {
      const gross = n(r.gross);
      const rate = Number(r.rate);
      const vatCents = vatOf(gross, rate);
      return { rate, grossCents: gross, vatCents, netCents: gross - vatCents };
    }),
  };
  return {
    placeId,
    pointId,
    businessDay,
    firstPosition: s.first === null ? null : n(s.first),
    lastPosition: s.last === null ? null : n(s.last),
    totals,
  };
}
