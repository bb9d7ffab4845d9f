// What src/ticketing gives the node (docs/ARCHITECTURE.md, "Module surfaces"): imported by src/node/modules.ts only.
import type { ModuleApp, ModuleOptions, RezoModule } from '../http/module.ts';
import { ticketAdminRoutes } from './adminTickets.ts';
import { cancellationRoutes } from './cancellationRoutes.ts';
import { datesWithSales } from './datesWithSales.ts';
import { soldColumn } from './eventListColumn.ts';
import { renderMyTickets } from './myTickets.ts';
import { onSiteRoutes } from './onSiteRoutes.ts';
import { orderPurpose } from './payOrder.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { ticketingRoutes } from './routes.ts';
import { scannerRoutes } from './scanner.ts';
import { settleUnconfirmedHolds } from './settleUnconfirmedHolds.ts';
import { offerFreedSeats } from './waitingList.ts';
import { waitingListRoutes } from './waitingListRoutes.ts';

/** Ticketing's pages and API: orders and tickets, cancellations, the door scanner, the admin's tickets, waiting lists. */
async function routes(app: ModuleApp, options: ModuleOptions): Promise<void> {
  await app.register(ticketingRoutes, options);
  await app.register(cancellationRoutes, options);
  await app.register(scannerRoutes, options);
  await app.register(ticketAdminRoutes, options);
  await app.register(waitingListRoutes, options);
  await app.register(onSiteRoutes, options);
}

export const ticketing: RezoModule = {
  name: 'ticketing',
  routes,
  paymentPurposes: { order: orderPurpose },
  // A date with tickets sold or a booking in progress is never deleted by an edit of its event.
  dateUses: { tickets: datesWithSales },
  housekeeping: [
    // Expired holds go back on sale, paid ones leave the unconfirmed share.
    {
      cadence: 'frequent',
      name: 'expiredOrders',
      failure: 'releasing expired holds failed',
      run: ({ db }) => releaseExpiredOrders(db),
    },
    {
      cadence: 'frequent',
      name: 'unconfirmedHolds',
      failure: 'settling unconfirmed holds failed',
      run: ({ db }) => settleUnconfirmedHolds(db),
    },
    {
      cadence: 'frequent',
      name: 'freedSeats',
      failure: 'offering freed seats to waiting lists failed',
      run: ({ db, config }) => offerFreedSeats(db, config),
    },
  ],
  accountSections: [{ order: 20, render: renderMyTickets }],
  eventListColumns: [soldColumn],
};
