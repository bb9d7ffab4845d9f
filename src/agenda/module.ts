// What src/agenda gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { renderHomeAgenda } from './homeAgenda.ts';
import { renderVenueAgenda, territoryTimezone } from './publicPages.ts';
import { agendaRoutes } from './routes.ts';
import { venueWhere } from './venueWhere.ts';

export const agenda: RezoModule = {
  name: 'agenda',
  routes: agendaRoutes,
  homeSections: [
    {
      order: 10,
      render: async (request, db, config) =>
        request.query && (request.query as { q?: string }).q
          ? ''
          : renderHomeAgenda(request, db, await territoryTimezone(db, config.timeZone)),
    },
  ],
  venueSections: [{ order: 10, render: renderVenueAgenda }, venueWhere],
};
