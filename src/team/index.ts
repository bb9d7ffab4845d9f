// The public surface of src/team (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { teamRoutes } from './routes.ts';

export const team: RezoModule = { name: 'team', routes: teamRoutes };
