import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { LayoutInfo } from './layout.ts';

// What a module needs from the HTTP layer and the node, and what it gives them (docs/ARCHITECTURE.md,
// "Module surfaces"). A leaf: it imports no module, so a module's routes can import it without
// reaching src/http/app.ts, the assembly that imports every module.

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
}

export type { LayoutInfo };
