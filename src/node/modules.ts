import type { AccountSection, RezoModule, VenueSection } from '../http/module.ts';
import { registerPurpose } from '../payments/index.ts';
import { accounts } from '../accounts/index.ts';
import { admin } from '../admin/index.ts';
import { agenda } from '../agenda/index.ts';
import { apikeys } from '../apikeys/index.ts';
import { cards } from '../cards/index.ts';
import { ledger } from '../ledger/index.ts';
import { mail } from '../mail/index.ts';
import { memberships } from '../memberships/index.ts';
import { payments } from '../payments/index.ts';
import { places } from '../places/index.ts';
import { settlement } from '../settlement/index.ts';
import { team } from '../team/index.ts';
import { ticketing } from '../ticketing/index.ts';
import { till } from '../till/index.ts';
import { webhooks } from '../webhooks/index.ts';

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
];

/**
 * Registers the modules' payment purposes (src/payments/purposes.ts). Called when the app is built
 * (buildApp) and by whatever confirms payments without it (tests, tools); registering again is a no-op.
 */
export function registerModules(list: readonly RezoModule[] = modules): void {
  for (const module of list)
    for (const [name, purpose] of Object.entries(module.paymentPurposes?.() ?? {})) registerPurpose(name, purpose);
}

/** The sections the modules contribute to the venue page and to "my account", by increasing order. */
export function sectionsOf(list: readonly RezoModule[] = modules): {
  venue: VenueSection[];
  account: AccountSection[];
} {
  const byOrder = (a: { order: number }, b: { order: number }) => a.order - b.order;
  return {
    venue: list.flatMap((m) => m.venueSections ?? []).sort(byOrder),
    account: list.flatMap((m) => m.accountSections ?? []).sort(byOrder),
  };
}
