// What src/dashboard gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { dashboardRoutes } from './routes.ts';

export const dashboard: RezoModule = {
  name: 'dashboard',
  routes: dashboardRoutes,
};
