import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { queueActivity } from './outbox.ts';
import { activityUrl, actorUrl, AS_CONTEXT } from './urls.ts';

/**
 * Queues the answer (Accept or Reject) of a local actor to an activity it received (a Follow, a
 * Join), in the caller's transaction, to the sender's own inbox; the answered activity is embedded.
 */
export async function queueAnswer(
  trx: Trx,
  base: string,
  answer: {
    type: 'Accept' | 'Reject';
    from: string;
    to: { id: string; inbox: string };
    object: { id: string; type: string; object: string };
  },
): Promise<void> {
  await queueActivity(trx, {
    sender: answer.from,
    inboxes: [answer.to.inbox],
    activity: {
      '@context': AS_CONTEXT,
      id: activityUrl(base, uuidv7()),
      type: answer.type,
      actor: actorUrl(base, answer.from),
      object: { ...answer.object, actor: answer.to.id },
      to: [answer.to.id],
    },
  });
}
