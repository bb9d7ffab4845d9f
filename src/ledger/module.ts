// What src/ledger gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { topUpPurpose } from './onlineTopUp.ts';
import { purgeDeviceNonces } from './purgeDeviceNonces.ts';
import { purgeWalletPasses } from './purgeWalletPasses.ts';
import { ledgerRoutes } from './routes.ts';
import { DEFAULT_CHECKPOINT_POLICY } from './signCheckpoints.ts';
import { makeLogCheckpoints } from './witness/makeLogCheckpoints.ts';
import { compareViews } from './witness/compareViews.ts';
import { sendCheckpoints } from './witness/sendCheckpoints.ts';

export const ledger: RezoModule = {
  name: 'ledger',
  routes: ledgerRoutes,
  paymentPurposes: { top_up: topUpPurpose },
  housekeeping: [
    { cadence: 'hourly', name: 'nonces', run: ({ db }) => purgeDeviceNonces(db) },
    { cadence: 'hourly', name: 'passes', run: ({ db }) => purgeWalletPasses(db) },
    // Ledger witnessing (docs/FEDERATION.md): send new checkpoints to the witnesses (each with its backoff),
    // and compare what the peers cosigned for the logs this node witnesses.
    {
      cadence: 'frequent',
      name: 'witnesses',
      failure: 'ledger: sending checkpoints to witnesses failed',
      run: async ({ db, config }) => {
        // A quiet currency's last blocks get their checkpoint here (the sealer's round signs at most once a minute).
        await makeLogCheckpoints(db, config.baseUrl, { minIntervalMs: DEFAULT_CHECKPOINT_POLICY.everyMs });
        return sendCheckpoints(db, config.baseUrl, { allowPrivate: config.env !== 'production' });
      },
    },
    {
      cadence: 'hourly',
      name: 'witnessViews',
      run: ({ db, config }) => compareViews(db, { allowPrivate: config.env !== 'production' }),
    },
  ],
};
