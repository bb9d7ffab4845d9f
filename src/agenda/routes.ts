import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Agenda pages, feeds and API (events, venue agendas, territory agenda). */
export async function agendaRoutes(_app: ModuleApp, _options: ModuleOptions) {}
