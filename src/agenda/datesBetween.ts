import type { Db } from '../db/database.ts';

export interface VenueDate {
  dateId: string;
  eventId: string;
  eventSlug: string;
  title: string;
  startsAt: Date;
  timezone: string;
  state: string;
}

/** A venue's event dates starting in [from, to), soonest first, drafts included (for its own admin). */
export async function venueDatesBetween(db: Db, placeId: string, from: Date, to: Date): Promise<VenueDate[]> {
  const rows = await db
    .selectFrom('event_dates as d')
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
    .select(['d.id', 'd.event_id', 'e.slug', 'e.title', 'd.starts_at', 'd.timezone', 'e.state'])
    .where('d.place_id', '=', placeId)
    .where('d.starts_at', '>=', from)
    .where('d.starts_at', '<', to)
    .orderBy('d.starts_at')
    .limit(100)
    .execute();
  return rows.map((r) => ({
    dateId: r.id,
    eventId: r.event_id,
    eventSlug: r.slug,
    title: r.title,
    startsAt: r.starts_at,
    timezone: r.timezone,
    state: r.state,
  }));
}
