// What src/apikeys gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { apiKeyRoutes } from './routes.ts';

export const apikeys: RezoModule = { name: 'apikeys', routes: apiKeyRoutes };
