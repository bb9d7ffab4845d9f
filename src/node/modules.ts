import type {
  AccountSection,
  EventListColumn,
  HomeSection,
  RezoModule,
  TransferNote,
  VenueSection,
} from '../http/module.ts';
import { registerPurpose } from '../payments/index.ts';
import { registerDateUse, registerRemoteSource } from '../agenda/index.ts';
import { accounts } from '../accounts/module.ts';
import { admin } from '../admin/module.ts';
import { agenda } from '../agenda/module.ts';
import { apikeys } from '../apikeys/module.ts';
import { cards } from '../cards/module.ts';
import { dashboard } from '../dashboard/module.ts';
import { federation } from '../federation/module.ts';
import { ledger } from '../ledger/module.ts';
import { mail } from '../mail/module.ts';
import { memberships } from '../memberships/module.ts';
import { payments } from '../payments/module.ts';
import { places } from '../places/module.ts';
import { settlement } from '../settlement/module.ts';
import { team } from '../team/module.ts';
import { ticketing } from '../ticketing/module.ts';
import { till } from '../till/module.ts';
import { webhooks } from '../webhooks/module.ts';

/**
 * The modules of a node, in the order their routes are registered (docs/ARCHITECTURE.md, "Module
 * surfaces"). The HTTP assembly, the housekeeping and the payment purposes all come from this list.
 */
export const modules: readonly RezoModule[] = [
  accounts,
  places,
  team,
  apikeys,
  admin,
  mail,
  agenda,
  ledger,
  payments,
  memberships,
  ticketing,
  webhooks,
  cards,
  till,
  settlement,
  dashboard,
  federation,
];

/**
 * Registers the modules' payment purposes (src/payments/purposes.ts) and their checks of the event
 * dates they still need (src/agenda/dateUses.ts), and the received events the agenda shows
 * (src/agenda/remoteSource.ts). Called when the app is built (buildApp) and by
 * whatever confirms payments or edits events without it (tests, tools); registering again is a no-op.
 */
export function registerModules(list: readonly RezoModule[] = modules): void {
  for (const module of list) {
    for (const [name, purpose] of Object.entries(module.paymentPurposes ?? {})) registerPurpose(name, purpose);
    for (const [name, check] of Object.entries(module.dateUses ?? {})) registerDateUse(name, check);
    if (module.remoteAgenda) registerRemoteSource(module.remoteAgenda);
  }
}

/**
 * The sections the modules contribute to the home page, the venue page and "my account", and their
 * columns of the venue's admin event list, by increasing order.
 */
export function sectionsOf(list: readonly RezoModule[] = modules): {
  home: HomeSection[];
  venue: VenueSection[];
  account: AccountSection[];
  eventList: EventListColumn[];
  transferNotes: TransferNote[];
} {
  const byOrder = (a: { order: number }, b: { order: number }) => a.order - b.order;
  return {
    home: list.flatMap((m) => m.homeSections ?? []).sort(byOrder),
    venue: list.flatMap((m) => m.venueSections ?? []).sort(byOrder),
    account: list.flatMap((m) => m.accountSections ?? []).sort(byOrder),
    eventList: list.flatMap((m) => m.eventListColumns ?? []).sort(byOrder),
    transferNotes: list.flatMap((m) => m.transferNotes ?? []).sort(byOrder),
  };
}
