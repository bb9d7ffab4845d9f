// The public surface of src/cards (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { cardRoutes } from './routes.ts';

export const cards: RezoModule = { name: 'cards', routes: cardRoutes };
