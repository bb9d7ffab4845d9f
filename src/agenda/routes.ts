import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { adminPages } from './adminPages.ts';
import { agendaApi } from './api.ts';
import { feedRoutes } from './feeds.ts';
import { publicPages } from './publicPages.ts';

/** Agenda pages, feeds and API (events, venue agendas, territory agenda). */
export async function agendaRoutes(app: ModuleApp, options: ModuleOptions) {
  await publicPages(app, options);
  await adminPages(app, options);
  await feedRoutes(app, options);
  await agendaApi(app, options);
}
