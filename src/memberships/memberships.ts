import type { Db } from '../db/database.ts';
import type { MembershipStatus } from './tables.ts';
import type { Day } from './validity.ts';
import { placesByIds } from '../places/index.ts';

export interface Membership {
  placeId: string;
  id: string;
  productId: string;
  productName: string;
  personId: string;
  email: string;
  name: string;
  status: MembershipStatus;
  startsOn: Day;
  endsOn: Day | null;
  amountCents: number;
  method: string;
  note: string;
  createdAt: Date;
}

function base(db: Db) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('membership_products as p', (j) =>
      j.onRef('p.place_id', '=', 'm.place_id').onRef('p.id', '=', 'm.product_id'),
    )
    .innerJoin('people as pe', 'pe.id', 'm.person_id')
    .select([
      'm.place_id',
      'm.id',
      'm.product_id',
      'p.name as product_name',
      'm.person_id',
      'pe.email',
      'pe.name',
      'm.status',
      'm.starts_on',
      'm.ends_on',
      'm.amount_cents',
      'm.method',
      'm.note',
      'm.created_at',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;
function toMembership(r: Row): Membership {
  return {
    placeId: r.place_id,
    id: r.id,
    productId: r.product_id,
    productName: r.product_name,
    personId: r.person_id,
    email: r.email,
    name: r.name,
    status: r.status,
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    amountCents: r.amount_cents,
    method: r.method,
    note: r.note,
    createdAt: r.created_at,
  };
}

export async function findMembership(db: Db, placeId: string, id: string): Promise<Membership | null> {
  const row = await base(db).where('m.place_id', '=', placeId).where('m.id', '=', id).executeTakeFirst();
  return row ? toMembership(row) : null;
}

/** Members of a place, newest first; `search` matches e-mail or name. */
export async function membersOf(
  db: Db,
  placeId: string,
  options: { search?: string; status?: MembershipStatus; limit?: number } = {},
): Promise<Membership[]> {
  let q = base(db)
    .where('m.place_id', '=', placeId)
    .orderBy('m.created_at', 'desc')
    .limit(Math.min(options.limit ?? 500, 5000));
  if (options.status) q = q.where('m.status', '=', options.status);
  if (options.search) {
    const term = `%${options.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where((eb) => eb.or([eb('pe.email', 'ilike', term), eb('pe.name', 'ilike', term)]));
  }
  return (await q.execute()).map(toMembership);
}

/**
 * The memberships of a person valid on `day` (active, started, not ended), for other modules:
 * member-only prices, the till checking a card. Optionally limited to some places.
 */
export async function validMembershipsOf(
  db: Db,
  personId: string,
  day: Day,
  placeIds?: string[],
): Promise<Membership[]> {
  let q = base(db)
    .where('m.person_id', '=', personId)
    .where('m.status', '=', 'active')
    .where('m.starts_on', '<=', day)
    .where((eb) => eb.or([eb('m.ends_on', 'is', null), eb('m.ends_on', '>=', day)]));
  if (placeIds) {
    if (placeIds.length === 0) return [];
    q = q.where('m.place_id', 'in', placeIds);
  }
  return (await q.orderBy('m.ends_on').execute()).map(toMembership);
}

/** All memberships of a person (for "my account"), newest first. */
export async function membershipsOfPerson(
  db: Db,
  personId: string,
): Promise<(Membership & { placeSlug: string; placeName: string })[]> {
  const rows = await base(db).where('m.person_id', '=', personId).orderBy('m.created_at', 'desc').execute();
  const places = new Map(
    (
      await placesByIds(
        db,
        rows.map((r) => r.place_id),
      )
    ).map((p) => [p.id, p]),
  );
  return rows.flatMap((r) => {
    const place = places.get(r.place_id);
    return place ? [{ ...toMembership(r), placeSlug: place.slug, placeName: place.name }] : [];
  });
}
