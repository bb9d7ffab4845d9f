// The public surface of src/agenda (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { renderVenueAgenda } from './publicPages.ts';
import { agendaRoutes } from './routes.ts';

export const agenda: RezoModule = {
  name: 'agenda',
  routes: agendaRoutes,
  venueSections: [{ order: 10, render: renderVenueAgenda }],
};
