// What src/federation gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { purgeInboxSeen } from './inboxSeen.ts';
import { purgeExpiredKv } from './kvStore.ts';
import { deliverOutbox, purgeOutbox } from './outbox.ts';
import { publishChanges } from './publishChanges.ts';
import { sendAvailabilityChanges } from './availabilityUpdates.ts';
import { remoteAgendaSource } from './remoteAgendaSource.ts';
import { cleanRemoteEvents } from './remoteEventsCleanup.ts';
import { federationRoutes } from './routes.ts';

export const federation: RezoModule = {
  name: 'federation',
  routes: federationRoutes,
  // Received events in the local agenda (the agenda declares the source; src/agenda/remoteSource.ts).
  remoteAgenda: remoteAgendaSource,
  housekeeping: [
    {
      cadence: 'frequent',
      name: 'federationPublish',
      failure: 'federation publishing failed',
      // What changed in the agenda becomes activities, availability thresholds crossed too, then the
      // due deliveries go out.
      run: async ({ db, config }) => ({
        queued: await publishChanges(db, config),
        availability: await sendAvailabilityChanges(db, config),
        sent: await deliverOutbox(db, config),
      }),
    },
    {
      cadence: 'hourly',
      name: 'federationCleanup',
      run: async ({ db }) => ({
        kv: await purgeExpiredKv(db),
        seen: await purgeInboxSeen(db),
        outbox: await purgeOutbox(db),
        remoteEvents: await cleanRemoteEvents(db),
      }),
    },
  ],
};
