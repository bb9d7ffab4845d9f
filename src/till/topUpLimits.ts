/**
 * Counter top-up limits (docs/POINTS-OF-SALE.md, "Top-up limits"; docs/TILL.md, "Counter top-ups"):
 * per venue and currency it credits at its counter, what one line, one sale, one card in a business
 * day and the venue in a business day may mint. Reads and the check the sale engine runs.
 */
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { checkTopUpLimits, type CounterMint } from './planSale.ts';
import type { CreditableCurrency } from './posSetup.ts';

export interface TopUpLimits {
  lineMaxCents: number;
  saleMaxCents: number;
  cardDayMaxCents: number;
  dayMaxCents: number;
}

/** Without a row: 500 € a line and a sale, 1 000 € a card per business day, 100 000 € the venue per day. */
export const DEFAULT_TOP_UP_LIMITS: Readonly<TopUpLimits> = Object.freeze({
  lineMaxCents: 50_000,
  saleMaxCents: 50_000,
  cardDayMaxCents: 100_000,
  dayMaxCents: 10_000_000,
});

export interface CurrencyTopUpLimits extends TopUpLimits {
  currencyId: string;
  code: string;
  name: string;
  kind: string;
  /** False while the venue uses the defaults. */
  custom: boolean;
}

/** The limits in force for each of these currencies a venue credits at its counter (top-up and gift). */
export async function topUpLimitsFor(
  db: Db,
  placeId: string,
  currencies: readonly CreditableCurrency[],
): Promise<CurrencyTopUpLimits[]> {
  const rows = new Map(
    (await db.selectFrom('till_top_up_limits').selectAll().where('place_id', '=', placeId).execute()).map((r) => [
      r.currency_id,
      r,
    ]),
  );
  return currencies.map((c) => {
    const r = rows.get(c.id);
    return {
      currencyId: c.id,
      code: c.code,
      name: c.name,
      kind: c.kind,
      ...(r
        ? {
            lineMaxCents: Number(r.line_max_cents),
            saleMaxCents: Number(r.sale_max_cents),
            cardDayMaxCents: Number(r.card_day_max_cents),
            dayMaxCents: Number(r.day_max_cents),
          }
        : DEFAULT_TOP_UP_LIMITS),
      custom: Boolean(r),
    };
  });
}

/**
 * Refuses (422 `till-top-up-<line|sale|card-day|day>-limit`, with `available`) a sale that would mint
 * beyond the venue's limits. Call it in the sale's transaction once the sale's card row and the
 * venue's journal head are locked (after assertDayOpen): no other sale of that card or venue can
 * commit between the sums read here and this sale's commit, so concurrent tills cannot both pass. The
 * sums come from the venue's journal (top-up and gift item lines of the currency and business day,
 * quantity signed, so a reversal gives its room back; for the card, the lines of sales of that card);
 * the rule itself is `checkTopUpLimits` (planSale.ts).
 */
export async function assertTopUpLimits(
  trx: Trx,
  input: { placeId: string; businessDay: string; cardId: string | null; mints: CounterMint[] },
): Promise<void> {
  if (input.mints.length === 0) return;
  const ids = input.mints.map((m) => m.currencyId);
  const codes = input.mints.map((m) => m.code);
  const { rows } = await sql<{
    currency_id: string;
    line_max_cents: string | null;
    sale_max_cents: string | null;
    card_day_max_cents: string | null;
    day_max_cents: string | null;
    day: string;
    card_day: string;
  }>`
    select c.id as currency_id, l.line_max_cents::text, l.sale_max_cents::text, l.card_day_max_cents::text,
      l.day_max_cents::text,
      coalesce((select sum(j.unit_price_cents * j.quantity) from till_journal j
        where j.place_id = ${input.placeId}::uuid and j.business_day = ${input.businessDay}::date and j.kind = 'item'
          and j.article_kind in ('top_up', 'gift_top_up') and j.currency_code = c.code), 0)::text as day,
      coalesce((select sum(j.unit_price_cents * j.quantity) from till_journal j join till_sales s on s.id = j.sale_id
        where j.place_id = ${input.placeId}::uuid and j.business_day = ${input.businessDay}::date and j.kind = 'item'
          and j.article_kind in ('top_up', 'gift_top_up') and j.currency_code = c.code
          and s.card_id = ${input.cardId}::uuid), 0)::text as card_day
    from unnest(${ids}::uuid[], ${codes}::text[]) as c(id, code)
    left join till_top_up_limits l on l.place_id = ${input.placeId}::uuid and l.currency_id = c.id`.execute(trx);
  const limit = (v: string | null, fallback: number) => (v === null ? fallback : Number(v));
  const days = new Map(
    rows.map((r) => [
      r.currency_id,
      {
        limits: {
          lineMaxCents: limit(r.line_max_cents, DEFAULT_TOP_UP_LIMITS.lineMaxCents),
          saleMaxCents: limit(r.sale_max_cents, DEFAULT_TOP_UP_LIMITS.saleMaxCents),
          cardDayMaxCents: limit(r.card_day_max_cents, DEFAULT_TOP_UP_LIMITS.cardDayMaxCents),
          dayMaxCents: limit(r.day_max_cents, DEFAULT_TOP_UP_LIMITS.dayMaxCents),
        },
        daySoFar: Number(r.day),
        cardDaySoFar: Number(r.card_day),
      },
    ]),
  );
  checkTopUpLimits(input.mints, days, input.cardId !== null);
}
