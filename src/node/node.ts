import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { buildApp, type App } from '../http/app.ts';
import { createMailDelivery, type MailDelivery } from '../mail/mailDelivery.ts';
import { loadNodeSecret } from './nodeSecret.ts';
import { createStripe } from '../payments/stripeClient.ts';
import type Stripe from 'stripe';

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else PGlite in the data folder. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openDatabase({ url: config.databaseUrl, poolSize: config.dbPoolSize });
  const dir = join(config.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  return openDatabase({ dataDir: dir });
}

export interface RunningNode {
  app: App;
  database: Database;
  mail: MailDelivery;
  stripe: Stripe | null;
  /** Stops taking requests, lets those in flight finish, then closes the database. */
  stop(): Promise<void>;
}

/** Builds the node on an open, migrated database (used by `rezo serve` and by the tests). */
export async function assembleNode(config: Config, database: Database, logger: Logger): Promise<RunningNode> {
  const secret = await loadNodeSecret(database.db);
  const mail = createMailDelivery(config, database.db, logger);
  const stripe = createStripe(config);
  const app = await buildApp({ config, db: database.db, mail, stripe, secret, logger });
  let stopping: Promise<void> | null = null;
  return {
    app,
    database,
    mail,
    stripe,
    stop() {
      stopping ??= (async () => {
        await app.close();
        await mail.stop();
        await database.close();
      })();
      return stopping;
    },
  };
}

/** Applies the pending migrations, logs them, and returns their versions. */
export async function migrateAndReport(database: Database, logger: Logger): Promise<string[]> {
  const applied = await migrate(database);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  return applied;
}
