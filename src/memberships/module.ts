// What src/memberships gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { RezoModule } from '../http/module.ts';
import { membershipPurpose } from './buyMembership.ts';
import { renderJoinCallToAction } from './joinCallToAction.ts';
import { membershipRoutes, renderMyMemberships, renderVenueMemberships } from './routes.ts';
import { sendRenewalReminders } from './sendRenewalReminders.ts';

export const memberships: RezoModule = {
  name: 'memberships',
  routes: membershipRoutes,
  paymentPurposes: { membership: membershipPurpose },
  housekeeping: [{ cadence: 'hourly', name: 'reminders', run: ({ db, config }) => sendRenewalReminders(db, config) }],
  venueSections: [
    { order: 5, render: renderJoinCallToAction },
    { order: 20, render: renderVenueMemberships },
  ],
  accountSections: [{ order: 10, render: (request, db, person) => renderMyMemberships(request, db, person.id) }],
};
