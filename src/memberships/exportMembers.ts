import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { csvLine } from '../shared/csv.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { membersOf } from './memberships.ts';

/** The venue's memberships as CSV (columns importMembers reads back, plus status and end). */
export async function exportMembers(db: Db, actor: Actor, slug: string): Promise<string> {
  const place = await getPlaceBySlug(db, slug);
  await authorize(db, actor, place.id, 'memberships.manage');
  const members = await membersOf(db, place.id, { limit: 100_000 });
  let out = csvLine(['email', 'name', 'product', 'starts_on', 'ends_on', 'status', 'method', 'amount', 'note']);
  for (const m of members) {
    out += csvLine([
      m.email,
      m.name,
      m.productName,
      m.startsOn,
      m.endsOn,
      m.status,
      m.method,
      (m.amountCents / 100).toFixed(2),
      m.note,
    ]);
  }
  return out;
}
