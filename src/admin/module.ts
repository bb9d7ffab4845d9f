// What src/admin gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { adminRoutes } from './routes.ts';

export const admin: RezoModule = { name: 'admin', routes: adminRoutes };
