import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { purgeExpired } from '../accounts/purgeExpired.ts';

const EVERY_MS = 60 * 60 * 1000;

/** Periodic clean-ups of a running node: once at start, then hourly. Returns the function that stops them. */
export function startHousekeeping(db: Db, logger: Logger): () => void {
  const run = () =>
    purgeExpired(db).then(
      (purged) => logger.debug({ purged }, 'expired sessions and login links purged'),
      (err) => logger.error({ err }, 'housekeeping failed'),
    );
  void run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
