// What src/payments gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { reconcilePendingSessions } from './reconcilePendingSessions.ts';
import { resolveOrphanEvents } from './resolveOrphanEvents.ts';
import { paymentRoutes } from './routes.ts';
import { sendPendingRefunds } from './sendPendingRefunds.ts';

export const payments: RezoModule = {
  name: 'payments',
  routes: paymentRoutes,
  housekeeping: [
    // Refunds that Stripe refused or never got are sent again (each after its backoff).
    {
      cadence: 'frequent',
      name: 'refunds',
      failure: 'sending refunds failed',
      run: ({ db, stripe }) => sendPendingRefunds(db, stripe),
    },
    // Stripe reconciled (docs/PAYMENTS.md): sessions nobody told us about, events that came before their payment.
    {
      cadence: 'frequent',
      name: 'pendingSessions',
      failure: 'reconciling pending sessions failed',
      run: ({ db, stripe, config }) => reconcilePendingSessions(db, stripe, config),
    },
    {
      cadence: 'frequent',
      name: 'orphanEvents',
      failure: 'resolving early Stripe events failed',
      run: ({ db, stripe }) => resolveOrphanEvents(db, stripe),
    },
  ],
};
