import { DEFAULT_TIME_ZONE } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { DomainError, FieldErrors, unauthenticated } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { checkSlug, readPlaceFields } from './placeInput.ts';
import { getPlaceBySlug, type Place } from './places.ts';

/**
 * Self-service creation of a place: any logged-in person may create one and becomes its admin.
 * `adminPersonId` lets the node (demo loader, CLI) create a place for someone. A place created without
 * a zone gets `defaultTimeZone`: the node passes its territory's (config.timeZone).
 */
export async function createPlace(
  db: Db,
  actor: Actor,
  input: Record<string, unknown> & { slug?: unknown },
  adminPersonId?: string,
  defaultTimeZone = DEFAULT_TIME_ZONE,
): Promise<Place> {
  const admin = actor.kind === 'person' ? actor.personId : actor.kind === 'system' ? adminPersonId : undefined;
  if (!admin) throw unauthenticated();
  const errors = new FieldErrors();
  const slug = checkSlug(errors, 'slug', input.slug);
  let fields;
  try {
    fields = readPlaceFields({ modules: ['agenda'], ...input }, defaultTimeZone);
  } catch (e) {
    if (e instanceof DomainError) for (const f of e.fields) errors.list.push(f);
    else throw e;
  }
  errors.throwIfAny();
  const id = uuidv7();
  return inTransaction(db, async (trx) => {
    const inserted = await trx
      .insertInto('places')
      .values({ id, slug, ...fields! })
      .onConflict((oc) => oc.column('slug').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new DomainError('validation', 422, {}, [{ field: 'slug', message: 'slug-taken' }]);
    await trx.insertInto('place_members').values({ place_id: id, person_id: admin, role: 'admin' }).execute();
    await audit(trx, actor, { placeId: id, action: 'place.created', subjectId: id, data: { slug } });
    return getPlaceBySlug(trx, slug);
  });
}
