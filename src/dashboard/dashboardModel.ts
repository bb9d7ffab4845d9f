import type { Db } from '../db/database.ts';
import { venueDatesBetween, type VenueDate } from '../agenda/index.ts';
import { federationsOfPlace, federationToken } from '../ledger/index.ts';
import { venuePositions, type VenuePosition } from '../ledger/index.ts';
import { memberFigures } from '../memberships/index.ts';
import type { Place } from '../places/index.ts';
import { dateFigures, ticketsByWeek, type DateFigures } from '../ticketing/index.ts';
import { lastWeeks, tillSalesByWeek, tillTonight, type TillTonight } from '../till/index.ts';

export const SEASON_WEEKS = 12;
const DAY = 86_400_000;

export interface DatedFigures {
  date: VenueDate;
  figures: DateFigures;
}

/** Everything the venue's dashboard shows, read from the modules that own each figure. */
export interface DashboardModel {
  place: Place;
  now: Date;
  tonight: TillTonight;
  /** Dates of the current business day (entries so far). */
  tonightDates: DatedFigures[];
  /** Dates of the next seven days after tonight. */
  week: DatedFigures[];
  season: {
    weeks: string[];
    tillCents: number[];
    tickets: number[];
    newMembers: number[];
    activeMembers: number;
    /** Tickets per event over the dates of the season's weeks and the coming month. */
    perEvent: { title: string; sold: number; capacity: number | null }[];
  };
  /** What the federation owes the venue, when it belongs to one. */
  settlement: { currency: string; position: VenuePosition } | null;
}

/** The "tonight" part alone: what the page refreshes every minute. */
export async function tonightModel(
  db: Db,
  place: Place,
  now = new Date(),
): Promise<Pick<DashboardModel, 'tonight' | 'tonightDates'>> {
  const tonight = await tillTonight(db, place.id, now);
  const dates = await venueDatesBetween(db, place.id, tonight.from, tonight.to);
  const figures = await dateFigures(
    db,
    place.id,
    dates.map((d) => d.dateId),
  );
  return { tonight, tonightDates: dates.map((date) => ({ date, figures: figures.get(date.dateId)! })) };
}

export async function dashboardModel(db: Db, place: Place, now = new Date()): Promise<DashboardModel> {
  const { tonight, tonightDates } = await tonightModel(db, place, now);
  const weeks = lastWeeks(tonight.businessDay, SEASON_WEEKS);
  const seasonFrom = new Date(`${weeks[0]}T00:00:00Z`);
  const [coming, seasonDates, tillWeeks, tickets, members, federations] = await Promise.all([
    venueDatesBetween(db, place.id, tonight.to, new Date(tonight.to.getTime() + 7 * DAY)),
    venueDatesBetween(db, place.id, seasonFrom, new Date(now.getTime() + 30 * DAY)),
    tillSalesByWeek(db, place.id, SEASON_WEEKS, now),
    ticketsByWeek(db, place.id, weeks, tonight.timezone),
    memberFigures(db, place.id, weeks, tonight.businessDay),
    federationsOfPlace(db, place.id),
  ]);
  const figures = await dateFigures(db, place.id, [...new Set([...coming, ...seasonDates].map((d) => d.dateId))]);
  const perEvent = new Map<string, { title: string; sold: number; capacity: number | null }>();
  for (const d of seasonDates) {
    const f = figures.get(d.dateId)!;
    if (f.capacity === null && f.sold === 0) continue;
    const e = perEvent.get(d.eventId) ?? { title: d.title, sold: 0, capacity: null };
    e.sold += f.sold;
    if (f.capacity !== null) e.capacity = (e.capacity ?? 0) + f.capacity;
    perEvent.set(d.eventId, e);
  }
  const currency = federations[0] ? await federationToken(db, federations[0].id) : null;
  const position = currency ? (await venuePositions(db, currency.id, [place.id])).get(place.id) : undefined;
  return {
    place,
    now,
    tonight,
    tonightDates,
    week: coming.map((date) => ({ date, figures: figures.get(date.dateId)! })),
    season: {
      weeks,
      tillCents: tillWeeks.map((w) => w.itemsCents),
      tickets,
      newMembers: members.newByWeek,
      activeMembers: members.activeToday,
      perEvent: [...perEvent.values()].slice(0, 20),
    },
    settlement: currency && position ? { currency: currency.code, position } : null,
  };
}
