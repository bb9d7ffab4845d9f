import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { purgeExpired } from '../accounts/purgeExpired.ts';
import { sendRenewalReminders } from '../memberships/sendRenewalReminders.ts';
import { releaseExpiredOrders } from '../ticketing/releaseExpiredOrders.ts';

/** Holds that ran out are released at least this often (also lazily by the next order of the date). */
const HOLDS_EVERY_MS = 30_000;

const EVERY_MS = 60 * 60 * 1000;

/** Periodic work of a running node (clean-ups, reminders): once at start, then hourly. Returns the function that stops it. */
export function startHousekeeping(db: Db, config: Config, logger: Logger): () => void {
  const run = async () => {
    try {
      const purged = await purgeExpired(db);
      const reminders = await sendRenewalReminders(db, config);
      logger.debug({ purged, reminders }, 'housekeeping done');
    } catch (err) {
      logger.error({ err }, 'housekeeping failed');
    }
  };
  void run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  const holds = setInterval(() => void releaseExpiredOrders(db).catch((err) => logger.error({ err }, 'releasing expired holds failed')), HOLDS_EVERY_MS);
  holds.unref();
  return () => {
    clearInterval(timer);
    clearInterval(holds);
  };
}
