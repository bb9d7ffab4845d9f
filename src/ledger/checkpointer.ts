import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { expireHolds } from './expireHolds.ts';
import { DEFAULT_CHECKPOINT_POLICY, signCheckpoints, type CheckpointPolicy } from './signCheckpoints.ts';

/**
 * Signs checkpoints every N transfers or T seconds (docs/LEDGER.md) and voids expired holds.
 * `kick()` is called after each committed write; it runs at most once per `minIntervalMs`, so a
 * burst of transfers costs one check, not one per transfer. A timer covers quiet periods.
 */
export function createCheckpointer(
  db: Db,
  logger: Logger,
  policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
  minIntervalMs = 1000,
) {
  let running: Promise<void> | null = null;
  let last = 0;
  const run = () => {
    if (running) return running;
    last = Date.now();
    running = (async () => {
      try {
        await signCheckpoints(db, policy);
        await expireHolds(db, new Date(), { logger });
      } catch (err) {
        logger.error({ err }, 'ledger checkpoint or hold expiry failed');
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(run, Math.max(policy.everyMs, minIntervalMs));
  timer.unref();
  return {
    kick() {
      if (Date.now() - last >= minIntervalMs) void run();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
