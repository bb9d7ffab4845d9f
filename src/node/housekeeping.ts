import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { purgeExpired } from '../accounts/purgeExpired.ts';
import { purgeDeviceNonces } from '../ledger/purgeDeviceNonces.ts';
import { purgeWalletPasses } from '../ledger/purgeWalletPasses.ts';
import { purgePairingCodes } from '../till/purgePairingCodes.ts';
import { purgeRateLimits } from '../shared/rateLimits.ts';
import { sendRenewalReminders } from '../memberships/sendRenewalReminders.ts';
import { releaseExpiredOrders } from '../ticketing/releaseExpiredOrders.ts';
import { settleUnconfirmedHolds } from '../ticketing/settleUnconfirmedHolds.ts';
import { offerFreedSeats } from '../ticketing/waitingList.ts';
import { sendPendingRefunds } from '../payments/sendPendingRefunds.ts';
import { reconcilePendingSessions } from '../payments/reconcilePendingSessions.ts';
import { resolveOrphanEvents } from '../payments/resolveOrphanEvents.ts';
import { deliverWebhooks } from '../webhooks/deliverWebhooks.ts';
import type Stripe from 'stripe';

/** Holds that ran out are released at least this often (also lazily by the next order of the date). */
const HOLDS_EVERY_MS = 30_000;

const EVERY_MS = 60 * 60 * 1000;

/** Periodic work of a running node (clean-ups, reminders): once at start, then hourly. Returns the function that stops it. */
export function startHousekeeping(db: Db, config: Config, logger: Logger, stripe: Stripe | null = null): () => void {
  const run = async () => {
    try {
      const purged = await purgeExpired(db);
      const nonces = await purgeDeviceNonces(db);
      const passes = await purgeWalletPasses(db);
      const pairingCodes = await purgePairingCodes(db);
      const rateLimits = await purgeRateLimits(db);
      const reminders = await sendRenewalReminders(db, config);
      logger.debug({ purged, nonces, passes, pairingCodes, rateLimits, reminders }, 'housekeeping done');
    } catch (err) {
      logger.error({ err }, 'housekeeping failed');
    }
  };
  void run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  // Expired holds go back on sale, paid ones leave the unconfirmed share; refunds that Stripe refused
  // or never got are sent again (each after its backoff).
  const holds = setInterval(() => {
    void releaseExpiredOrders(db).catch((err) => logger.error({ err }, 'releasing expired holds failed'));
    void settleUnconfirmedHolds(db).catch((err) => logger.error({ err }, 'settling unconfirmed holds failed'));
    void sendPendingRefunds(db, stripe).catch((err) => logger.error({ err }, 'sending refunds failed'));
    // Stripe reconciled (docs/PAYMENTS.md): sessions nobody told us about, events that came before their payment.
    void reconcilePendingSessions(db, stripe, config).catch((err) =>
      logger.error({ err }, 'reconciling pending sessions failed'),
    );
    void resolveOrphanEvents(db, stripe).catch((err) => logger.error({ err }, 'resolving early Stripe events failed'));
    void deliverWebhooks(db, { allowPrivate: config.webhooksAllowPrivate }).catch((err) =>
      logger.error({ err }, 'delivering webhooks failed'),
    );
    void offerFreedSeats(db, config).catch((err) =>
      logger.error({ err }, 'offering freed seats to waiting lists failed'),
    );
  }, HOLDS_EVERY_MS);
  holds.unref();
  return () => {
    clearInterval(timer);
    clearInterval(holds);
  };
}
