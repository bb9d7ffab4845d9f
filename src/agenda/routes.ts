import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { agendaAdminRoutes } from './adminRoutes.ts';
import { agendaApiRoutes } from './apiRoutes.ts';
import { feedRoutes } from './feeds.ts';
import { publicPages } from './publicPages.ts';
import { remotePages } from './remotePages.ts';

/** Agenda pages, feeds and API (events, venue agendas, territory agenda). */
export async function agendaRoutes(app: ModuleApp, options: ModuleOptions) {
  await publicPages(app, options);
  await remotePages(app, options);
  await agendaAdminRoutes(app, options);
  await feedRoutes(app, options);
  await agendaApiRoutes(app, options);
}
