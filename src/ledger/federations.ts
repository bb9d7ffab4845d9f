import type { Db } from '../db/database.ts';
import { notFound } from '../shared/errors.ts';
import { CURRENCY_COLUMNS, toCurrency, type Currency } from './ledger.ts';
import type { CurrencyKind } from './tables.ts';
import { placeSlugsByIds } from '../places/index.ts';

/**
 * Reads about federations and the venues accepting each currency (the node operator's view), and the
 * lock that orders changes to a federation's membership.
 */

/**
 * Locks a federation's row until the end of the transaction (FOR NO KEY UPDATE: foreign keys to it
 * are not blocked), or throws not-found. Taken by every writer that reads or changes the members of
 * a federation together with the venues accepting its currencies (addFederationVenue, acceptCurrency,
 * createCurrency of a federated euro), so they run one after the other for one federation.
 */
export async function lockFederation(db: Db, federationId: string): Promise<{ id: string; slug: string }> {
  const row = await db
    .selectFrom('ledger_federations')
    .select(['id', 'slug'])
    .where('id', '=', federationId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('federation');
  return row;
}

export async function findFederationBySlug(
  db: Db,
  slug: string,
): Promise<{ id: string; slug: string; name: string } | null> {
  return (
    (await db
      .selectFrom('ledger_federations')
      .select(['id', 'slug', 'name'])
      .where('slug', '=', slug)
      .executeTakeFirst()) ?? null
  );
}

export interface FederationSummary {
  slug: string;
  name: string;
  /** Member venues' slugs, sorted. */
  venues: string[];
  /** Currencies the federation issues. */
  currencies: { code: string; kind: CurrencyKind; status: 'active' | 'archived' }[];
}

export async function listFederations(db: Db): Promise<FederationSummary[]> {
  const federations = await db
    .selectFrom('ledger_federations')
    .select(['id', 'slug', 'name'])
    .orderBy('slug')
    .execute();
  const memberships = await db.selectFrom('ledger_federation_places').select(['federation_id', 'place_id']).execute();
  const members = (
    await placeSlugsByIds(
      db,
      memberships.map((m) => m.place_id),
    )
  ).flatMap((p) => memberships.filter((m) => m.place_id === p.id).map((m) => ({ ...m, slug: p.slug })));
  const currencies = await db
    .selectFrom('ledger_currencies')
    .select(['issuer_federation_id', 'code', 'kind', 'status'])
    .where('issuer_federation_id', 'is not', null)
    .orderBy('code')
    .execute();
  return federations.map((f) => ({
    slug: f.slug,
    name: f.name,
    venues: members.filter((m) => m.federation_id === f.id).map((m) => m.slug),
    currencies: currencies
      .filter((c) => c.issuer_federation_id === f.id)
      .map((c) => ({ code: c.code, kind: c.kind, status: c.status })),
  }));
}

export interface CurrencySummary {
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
  status: 'active' | 'archived';
  /** `federation <slug>` or `venue <slug>`. */
  issuer: { kind: 'federation' | 'venue'; slug: string };
  /** Slugs of the venues accepting it (ledger_currency_places; the issuing venue always does). */
  acceptedBy: string[];
}

export async function listCurrencies(db: Db): Promise<CurrencySummary[]> {
  const currencies = await db
    .selectFrom('ledger_currencies as c')
    .leftJoin('ledger_federations as f', 'f.id', 'c.issuer_federation_id')
    .select([
      'c.id',
      'c.code',
      'c.name',
      'c.kind',
      'c.decimals',
      'c.status',
      'f.slug as federation',
      'c.issuer_place_id',
    ])
    .orderBy('c.code')
    .execute();
  const accepted = await db.selectFrom('ledger_currency_places').select(['currency_id', 'place_id']).execute();
  const places = await placeSlugsByIds(db, [
    ...accepted.map((a) => a.place_id),
    ...currencies.flatMap((c) => (c.issuer_place_id ? [c.issuer_place_id] : [])),
  ]);
  const slugOf = new Map(places.map((p) => [p.id, p.slug]));
  // By venue slug, as the venues come sorted.
  const accepting = places.flatMap((p) =>
    accepted.filter((a) => a.place_id === p.id).map((a) => ({ currency_id: a.currency_id, slug: p.slug })),
  );
  return currencies.map((c) => {
    const venue = c.issuer_place_id ? slugOf.get(c.issuer_place_id) : undefined;
    const acceptedBy = accepting.filter((a) => a.currency_id === c.id).map((a) => a.slug);
    if (venue && !acceptedBy.includes(venue)) acceptedBy.unshift(venue);
    return {
      code: c.code,
      name: c.name,
      kind: c.kind,
      decimals: Number(c.decimals),
      status: c.status,
      issuer: c.federation
        ? { kind: 'federation' as const, slug: c.federation }
        : { kind: 'venue' as const, slug: venue ?? '?' },
      acceptedBy,
    };
  });
}

export interface FederationMember {
  id: string;
  slug: string;
  name: string;
  timezone: string;
}

/** The member venues of a federation, by slug. */
export async function federationMembers(db: Db, federationId: string): Promise<FederationMember[]> {
  const members = await db
    .selectFrom('ledger_federation_places')
    .select('place_id')
    .where('federation_id', '=', federationId)
    .execute();
  return placeSlugsByIds(
    db,
    members.map((m) => m.place_id),
  );
}

/** The euro token a federation issues (kind federated_euro), or null when it has none yet. */
export async function federationToken(db: Db, federationId: string): Promise<Currency | null> {
  const row = await db
    .selectFrom('ledger_currencies')
    .select(CURRENCY_COLUMNS)
    .where('issuer_federation_id', '=', federationId)
    .where('kind', '=', 'federated_euro')
    .executeTakeFirst();
  return row ? toCurrency(row) : null;
}

/** The federations a venue belongs to, by slug (a venue is normally in one). */
export async function federationsOfPlace(
  db: Db,
  placeId: string,
): Promise<{ id: string; slug: string; name: string }[]> {
  return db
    .selectFrom('ledger_federation_places as fp')
    .innerJoin('ledger_federations as f', 'f.id', 'fp.federation_id')
    .select(['f.id', 'f.slug', 'f.name'])
    .where('fp.place_id', '=', placeId)
    .orderBy('f.slug')
    .execute();
}

/** Federations by name: all of them, or those with these ids (an unknown id is left out). */
export async function federationNames(
  db: Db,
  ids?: readonly string[],
): Promise<{ id: string; slug: string; name: string }[]> {
  if (ids && ids.length === 0) return [];
  let q = db.selectFrom('ledger_federations as f').select(['f.id', 'f.slug', 'f.name']).orderBy('f.name');
  if (ids) q = q.where('f.id', 'in', [...new Set(ids)]);
  return q.execute();
}
