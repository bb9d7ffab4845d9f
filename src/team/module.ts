// What src/team gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { teamRoutes } from './routes.ts';

export const team: RezoModule = { name: 'team', routes: teamRoutes };
