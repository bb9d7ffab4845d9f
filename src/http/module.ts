import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { RemoteAgendaSource } from '../agenda/remoteSource.ts';
import type { PaymentPurpose } from '../payments/purposes.ts';
import type { Place } from '../places/places.ts';
import type { Html } from './html.ts';
import type { LayoutInfo } from './layout.ts';

// What a module needs from the HTTP layer and the node, and what it gives them (docs/ARCHITECTURE.md,
// "Module surfaces"). A leaf: it imports no module's code (only the types of three leaf files, a payment
// purpose, a venue and the agenda's remote source), so a module's routes import it without reaching
// src/http/app.ts, the assembly that imports every module.

/** What the HTTP layer needs from the rest of the node. */
export interface AppDeps {
  config: Config;
  db: Db;
  /** The mail outbox's delivery (src/mail/mailDelivery.ts): asked to send soon after a request that may have queued mail. */
  mail: { kick(): void };
  /** The Stripe SDK, or null when online payments are off (no STRIPE_SECRET_KEY). */
  stripe: Stripe | null;
  /** The node's secret (CSRF tokens, signed cookies), from node_settings. */
  secret: string;
  logger: Logger;
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
/** What a module's routes plugin receives: the app with TypeBox types for schemas. */
export type ModuleApp = App;

/** Options every module's routes receive. */
export interface ModuleOptions {
  deps: AppDeps;
  info: LayoutInfo;
  /**
   * The sections other modules contribute to the home page, the venue page and "my account", and the
   * columns they add to the venue's admin event list, in their order.
   */
  sections: {
    home: HomeSection[];
    venue: VenueSection[];
    account: AccountSection[];
    eventList: EventListColumn[];
    transferNotes: TransferNote[];
  };
}

/**
 * What a module can say of transfers shown in a history (the wallet, a card's page): the till names the
 * articles of a sale. Given a page of transfers, answers a short text by transfer id (none for the others).
 */
export interface TransferNote {
  order: number;
  notes(db: Db, transfers: readonly { id: string; metadata: Record<string, unknown> }[]): Promise<Map<string, string>>;
}

/**
 * A module's column in a venue's admin event list (src/agenda): its heading, and one cell per event,
 * about the event's next date (`dateId` null when the event has no date to come). The agenda asks once
 * for the whole list; an event missing from the answer gets an empty cell.
 */
export interface EventListColumn {
  order: number;
  heading(request: FastifyRequest): string;
  cells(
    request: FastifyRequest,
    db: Db,
    place: Place,
    events: readonly { eventId: string; dateId: string | null }[],
  ): Promise<Map<string, Html | string>>;
}

/** A module's part of the node's home page (src/places), above the list of venues; '' when it has nothing to show. */
export interface HomeSection {
  order: number;
  render(request: FastifyRequest, db: Db, config: Config): Promise<Html | ''>;
}

/** A module's part of a venue's public page (src/places), below the venue's own facts; '' when it has nothing to show. */
export interface VenueSection {
  /** Sections are shown by increasing order. */
  order: number;
  render(request: FastifyRequest, db: Db, place: Place): Promise<Html | ''>;
  /** Hosts the section's images come from (a map's tiles): the venue page allows them in its img-src. */
  imgHosts?: readonly string[];
}

/** A module's part of the "my account" page (src/accounts), below the profile. */
export interface AccountSection {
  order: number;
  render(request: FastifyRequest, db: Db, person: { id: string; email: string }): Promise<Html | ''>;
}

/** What a housekeeping job may use (src/node/housekeeping.ts). */
export interface JobContext {
  db: Db;
  config: Config;
  stripe: Stripe | null;
}

/**
 * Periodic work of a module. `hourly` jobs run in turn once at start and then every hour, their
 * results logged together under their `name` ('housekeeping done'), one failure stopping that round
 * ('housekeeping failed'); `frequent` jobs run every 30 s, each on its own, a failure logged with its
 * `failure` message.
 */
export type HousekeepingJob =
  | { cadence: 'hourly'; name: string; run(context: JobContext): Promise<unknown> }
  | { cadence: 'frequent'; name: string; failure: string; run(context: JobContext): Promise<unknown> };

/**
 * A module as the node sees it: one entry of the module list (src/node/modules.ts), exported by the
 * module's `module.ts` (its `index.ts` is what the other modules may use).
 */
export interface RezoModule {
  name: string;
  /** The module's one Fastify plugin (its pages and API). */
  routes(app: ModuleApp, options: ModuleOptions): Promise<void>;
  /** The payment purposes it registers (src/payments/purposes.ts), by name. */
  paymentPurposes?: Record<string, PaymentPurpose>;
  housekeeping?: HousekeepingJob[];
  homeSections?: HomeSection[];
  venueSections?: VenueSection[];
  accountSections?: AccountSection[];
  eventListColumns?: EventListColumn[];
  /**
   * Checks that say which of a venue's event dates the module still needs (tickets sold): the agenda
   * keeps those when an edit would delete them (src/agenda/dateUses.ts), by name.
   */
  dateUses?: Record<
    string,
    (db: Db, placeId: string, eventId: string, dateIds: readonly string[]) => Promise<Set<string>>
  >;
  transferNotes?: TransferNote[];
  /**
   * Events received from other nodes, for the agenda (src/agenda/remoteSource.ts): the federation
   * module gives them, registered from the module list (the agenda does not import federation).
   */
  remoteAgenda?: RemoteAgendaSource;
}

export type { LayoutInfo };
