import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { EventListColumn } from '../http/module.ts';
import type { Place } from '../places/index.ts';
import { dateFigures } from './dateFigures.ts';

/**
 * Ticketing's column in the venue's admin event list: tickets sold / capacity of each event's next date
 * ("12 / 100"; "12" when the date has no capacity; empty when the event has no date to come or sells nothing).
 */
export const soldColumn: EventListColumn = {
  order: 10,
  heading: (request: FastifyRequest) => request.ctx.t('eventList.sold'),
  async cells(request: FastifyRequest, db: Db, place: Place, events) {
    const { t } = request.ctx;
    const dateIds = events.flatMap((e) => (e.dateId ? [e.dateId] : []));
    const figures = await dateFigures(db, place.id, dateIds);
    const cells = new Map<string, string>();
    for (const { eventId, dateId } of events) {
      const f = dateId ? figures.get(dateId) : undefined;
      if (!f || (f.capacity === null && f.sold === 0)) continue;
      cells.set(
        eventId,
        f.capacity === null ? String(f.sold) : t('eventList.soldOfCapacity', { sold: f.sold, capacity: f.capacity }),
      );
    }
    return cells;
  },
};
