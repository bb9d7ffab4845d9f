// The public surface of src/mail (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { mailRoutes } from './routes.ts';

export const mail: RezoModule = { name: 'mail', routes: mailRoutes };
