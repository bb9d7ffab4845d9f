// What src/ledger gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { topUpPurpose } from './onlineTopUp.ts';
import { purgeDeviceNonces } from './purgeDeviceNonces.ts';
import { purgeWalletPasses } from './purgeWalletPasses.ts';
import { ledgerRoutes } from './routes.ts';

export const ledger: RezoModule = {
  name: 'ledger',
  routes: ledgerRoutes,
  paymentPurposes: { top_up: topUpPurpose },
  housekeeping: [
    { cadence: 'hourly', name: 'nonces', run: ({ db }) => purgeDeviceNonces(db) },
    { cadence: 'hourly', name: 'passes', run: ({ db }) => purgeWalletPasses(db) },
  ],
};
