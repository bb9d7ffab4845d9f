import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { configureLocks } from '../db/locks.ts';
import { buildApp, type App } from '../http/app.ts';
import { createMailDelivery, type MailDelivery } from '../mail/mailDelivery.ts';
import { loadNodeSecret } from './nodeSecret.ts';
import { startSealer, type Sealer } from '../ledger/sealer.ts';
import { DEFAULT_CHECKPOINT_POLICY, signCheckpoints } from '../ledger/signCheckpoints.ts';
import { makeLogCheckpoints } from '../ledger/witness/makeLogCheckpoints.ts';
import { loadNodeKey } from '../ledger/nodeKey.ts';
import { createStripe } from '../payments/stripeClient.ts';
import type Stripe from 'stripe';

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else PGlite in the data folder. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  // The lock timeout of every transaction that takes a lock; the rank order checked outside production.
  configureLocks({ timeoutMs: config.lockTimeoutMs, checkOrder: config.env !== 'production' });
  if (config.databaseUrl)
    return openDatabase({
      url: config.databaseUrl,
      poolSize: config.dbPoolSize,
      preparedStatements: config.dbPreparedStatements,
    });
  const dir = join(config.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  return openDatabase({ dataDir: dir });
}

export interface RunningNode {
  app: App;
  database: Database;
  mail: MailDelivery;
  stripe: Stripe | null;
  /** The ledger's block sealer (docs/LEDGER.md): one per node process, one sealing at a time across processes. */
  sealer: Sealer;
  /** Stops taking requests, lets those in flight finish, then closes the database. */
  stop(): Promise<void>;
}

/** Builds the node on an open, migrated database (used by `rezo serve` and by the tests). */
export async function assembleNode(config: Config, database: Database, logger: Logger): Promise<RunningNode> {
  const secret = await loadNodeSecret(database.db);
  const mail = createMailDelivery(config, database.db, logger);
  const stripe = createStripe(config);
  const app = await buildApp({ config, db: database.db, mail, stripe, secret, logger });
  // The ledger key read once, committed: wallet passes are then checked without a database round trip.
  await loadNodeKey(database.db);
  // Seals committed transfers into blocks at least every SEAL_INTERVAL_MS; checkpoints follow the blocks.
  // The C2SP log checkpoints (docs/FEDERATION.md) at most once a minute per currency, like the others.
  const afterSeal = async () => {
    await signCheckpoints(database.db);
    await makeLogCheckpoints(database.db, config.baseUrl, { minIntervalMs: DEFAULT_CHECKPOINT_POLICY.everyMs });
  };
  const sealer = startSealer(database.db, logger, { afterSeal });
  let stopping: Promise<void> | null = null;
  return {
    app,
    database,
    mail,
    stripe,
    sealer,
    stop() {
      stopping ??= (async () => {
        await app.close();
        // The last round seals what the requests just finished wrote, before the database closes.
        await sealer.stop();
        await sealer.sealNow().catch((err: unknown) => logger.error({ err }, 'ledger sealing at stop failed'));
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
