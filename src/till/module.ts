// What src/till gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { ModuleApp, ModuleOptions, RezoModule } from '../http/module.ts';
import { tillAdminRoutes } from './adminRoutes.ts';
import { tillApiRoutes } from './apiRoutes.ts';
import { closureRoutes } from './closureRoutes.ts';
import { purgePairingCodes } from './purgePairingCodes.ts';
import { saleItemsNote } from './saleItems.ts';
import { tillPageRoutes } from './tillPage.ts';

/** The till's pages and API: the admin's points of sale and devices, the device API, Z closures, the till page. */
async function routes(app: ModuleApp, options: ModuleOptions): Promise<void> {
  await app.register(tillAdminRoutes, options);
  await app.register(tillApiRoutes, options);
  await app.register(closureRoutes, options);
  await app.register(tillPageRoutes, options);
}

export const till: RezoModule = {
  name: 'till',
  routes,
  housekeeping: [{ cadence: 'hourly', name: 'pairingCodes', run: ({ db }) => purgePairingCodes(db) }],
  transferNotes: [saleItemsNote],
};
