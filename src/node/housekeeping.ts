import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { HousekeepingJob, JobContext, RezoModule } from '../http/module.ts';
import { purgeRateLimits } from '../shared/rateLimits.ts';
import { modules } from './modules.ts';
import type Stripe from 'stripe';

/** Holds that ran out are released at least this often (also lazily by the next order of the date). */
const HOLDS_EVERY_MS = 30_000;

const EVERY_MS = 60 * 60 * 1000;

/** The node's own hourly job (src/shared is no module): ended rate-limit windows. */
const nodeJobs: HousekeepingJob[] = [{ cadence: 'hourly', name: 'rateLimits', run: ({ db }) => purgeRateLimits(db) }];

/**
 * Periodic work of a running node, the jobs of the modules in the module list (src/node/modules.ts):
 * the hourly ones (clean-ups, reminders) once at start, then hourly; the frequent ones every 30 s
 * (expired holds, refunds to send again, Stripe reconciliation, webhooks, waiting lists). Returns the
 * function that stops it.
 */
export function startHousekeeping(
  db: Db,
  config: Config,
  logger: Logger,
  stripe: Stripe | null = null,
  list: readonly RezoModule[] = modules,
): () => void {
  const context: JobContext = { db, config, stripe };
  const jobs = [...list.flatMap((m) => m.housekeeping ?? []), ...nodeJobs];
  const hourly = jobs.filter((job) => job.cadence === 'hourly');
  const frequent = jobs.filter((job) => job.cadence === 'frequent');
  const run = async () => {
    try {
      const done: Record<string, unknown> = {};
      for (const job of hourly) done[job.name] = await job.run(context);
      logger.debug(done, 'housekeeping done');
    } catch (err) {
      logger.error({ err }, 'housekeeping failed');
    }
  };
  void run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  const holds = setInterval(() => {
    for (const job of frequent) void job.run(context).catch((err: unknown) => logger.error({ err }, job.failure));
  }, HOLDS_EVERY_MS);
  holds.unref();
  return () => {
    clearInterval(timer);
    clearInterval(holds);
  };
}
