// The public surface of src/apikeys (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { apiKeyRoutes } from './routes.ts';

export const apikeys: RezoModule = { name: 'apikeys', routes: apiKeyRoutes };
