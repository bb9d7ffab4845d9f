// What src/places gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { placeRoutes } from './routes.ts';

export const places: RezoModule = { name: 'places', routes: placeRoutes };
