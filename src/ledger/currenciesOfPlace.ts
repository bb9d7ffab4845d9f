import type { Db } from '../db/database.ts';
import type { CurrencyKind } from './tables.ts';

/**
 * The currencies as a venue sees them, for the till (src/till/posConfig.ts, posSetup.ts), and their codes
 * by id (the till's articles, settlement statements):
 * the ledger owns ledger_currencies, ledger_currency_places and ledger_federation_places.
 */
export interface PlaceCurrency {
  id: string;
  code: string;
  name: string;
  kind: CurrencyKind;
}

/**
 * The active currencies a venue accepts: it issues them, or accepts them (ledger_currency_places),
 * as transferRequest.ts decides. No order.
 */
export async function currenciesAcceptedAt(db: Db, placeId: string): Promise<(PlaceCurrency & { decimals: number })[]> {
  return db
    .selectFrom('ledger_currencies as c')
    .select(['c.id', 'c.code', 'c.name', 'c.kind', 'c.decimals'])
    .where('c.status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb('c.issuer_place_id', '=', placeId),
        eb.exists(
          eb
            .selectFrom('ledger_currency_places as cp')
            .select('cp.place_id')
            .whereRef('cp.currency_id', '=', 'c.id')
            .where('cp.place_id', '=', placeId),
        ),
      ]),
    )
    .execute();
}

/**
 * What a venue's till may top up, by kind then code: its own local euro, and the federated euro of
 * each federation it belongs to (active only).
 */
export async function topUpCurrenciesOf(db: Db, placeId: string): Promise<PlaceCurrency[]> {
  return db
    .selectFrom('ledger_currencies as c')
    .select(['c.id', 'c.code', 'c.name', 'c.kind'])
    .where('c.status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb.and([eb('c.kind', '=', 'local_euro'), eb('c.issuer_place_id', '=', placeId)]),
        eb.and([
          eb('c.kind', '=', 'federated_euro'),
          eb(
            'c.issuer_federation_id',
            'in',
            eb.selectFrom('ledger_federation_places').select('federation_id').where('place_id', '=', placeId),
          ),
        ]),
      ]),
    )
    .orderBy('c.kind')
    .orderBy('c.code')
    .execute();
}

/** The active gift currencies a venue issues, by code. */
export async function giftCurrenciesOf(db: Db, placeId: string): Promise<PlaceCurrency[]> {
  return db
    .selectFrom('ledger_currencies')
    .select(['id', 'code', 'name', 'kind'])
    .where('status', '=', 'active')
    .where('kind', '=', 'gift')
    .where('issuer_place_id', '=', placeId)
    .orderBy('code')
    .execute();
}

/** Code and decimals of these currencies, by id (unknown ids are absent). */
export async function currencyCodesById(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, { code: string; decimals: number }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('ledger_currencies')
    .select(['id', 'code', 'decimals'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, { code: r.code, decimals: Number(r.decimals) }]));
}
