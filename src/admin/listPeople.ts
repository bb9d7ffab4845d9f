import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { forbidden } from '../shared/errors.ts';

export interface PersonSummary {
  id: string;
  email: string;
  name: string;
  isOperator: boolean;
  createdAt: Date;
  places: number;
}

/** People of the node, for operators only; newest first, optionally filtered by e-mail or name. */
export async function listPeople(
  db: Db,
  actor: Actor,
  options: { search?: string; limit?: number } = {},
): Promise<PersonSummary[]> {
  if (!(actor.kind === 'system' || (actor.kind === 'person' && actor.isOperator))) throw forbidden();
  let q = db
    .selectFrom('people')
    .leftJoin('place_members', 'place_members.person_id', 'people.id')
    .select(['people.id', 'people.email', 'people.name', 'people.is_operator', 'people.created_at'])
    .select((eb) => eb.fn.count<number>('place_members.place_id').as('places'))
    .groupBy('people.id')
    .orderBy('people.created_at', 'desc')
    .limit(Math.min(options.limit ?? 200, 500));
  if (options.search) {
    const term = `%${options.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where((eb) => eb.or([eb('people.email', 'ilike', term), eb('people.name', 'ilike', term)]));
  }
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    isOperator: r.is_operator,
    createdAt: r.created_at,
    places: Number(r.places),
  }));
}
