// What src/settlement gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import { actorOf } from '../http/context.ts';
import type { RezoModule } from '../http/module.ts';
import { myFederationsSection } from './pages.ts';
import { settlementRoutes } from './routes.ts';
import { federationsOf } from './treasurers.ts';

export const settlement: RezoModule = {
  name: 'settlement',
  routes: settlementRoutes,
  accountSections: [
    {
      order: 30,
      render: async (request, db) => myFederationsSection(request, await federationsOf(db, actorOf(request))),
    },
  ],
};
