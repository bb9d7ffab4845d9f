// What src/accounts gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { purgeExpired } from './purgeExpired.ts';
import { accountRoutes } from './routes.ts';

export const accounts: RezoModule = {
  name: 'accounts',
  routes: accountRoutes,
  housekeeping: [{ cadence: 'hourly', name: 'purged', run: ({ db }) => purgeExpired(db) }],
};
