// What src/mail gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { mailRoutes } from './routes.ts';

export const mail: RezoModule = { name: 'mail', routes: mailRoutes };
