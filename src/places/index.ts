// The public surface of src/places (docs/ARCHITECTURE.md, "Module surfaces").
import type { RezoModule } from '../http/module.ts';
import { placeRoutes } from './routes.ts';

export const places: RezoModule = { name: 'places', routes: placeRoutes };
