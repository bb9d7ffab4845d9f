// What src/webhooks gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { deliverWebhooks } from './deliverWebhooks.ts';
import { webhookRoutes } from './routes.ts';

export const webhooks: RezoModule = {
  name: 'webhooks',
  routes: webhookRoutes,
  housekeeping: [
    {
      cadence: 'frequent',
      name: 'deliveries',
      failure: 'delivering webhooks failed',
      run: ({ db, config }) => deliverWebhooks(db, { allowPrivate: config.webhooksAllowPrivate }),
    },
  ],
};
