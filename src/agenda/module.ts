// What src/agenda gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { renderVenueAgenda } from './publicPages.ts';
import { agendaRoutes } from './routes.ts';

export const agenda: RezoModule = {
  name: 'agenda',
  routes: agendaRoutes,
  venueSections: [{ order: 10, render: renderVenueAgenda }],
};
