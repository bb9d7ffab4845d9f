// The public surface of src/admin (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { adminRoutes } from './routes.ts';

export const admin: RezoModule = { name: 'admin', routes: adminRoutes };
