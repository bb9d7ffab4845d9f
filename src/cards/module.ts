// What src/cards gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { cardRoutes } from './routes.ts';

export const cards: RezoModule = { name: 'cards', routes: cardRoutes };
