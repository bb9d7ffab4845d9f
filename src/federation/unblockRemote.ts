import type { Actor } from '../access/actor.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { requireOperator } from './operators.ts';

/**
 * An operator lifts a block: the host or actor may deliver and be delivered to again. What the block
 * deleted stays deleted: follows are made again by following it.
 */
export async function unblockRemote(db: Db, who: Actor, input: { target: string }): Promise<void> {
  requireOperator(who);
  await inTransaction(db, async (trx) => {
    const removed = await trx
      .deleteFrom('federation_blocks')
      .where('target', '=', input.target)
      .returning('kind')
      .executeTakeFirst();
    if (!removed) return;
    await trx
      .updateTable('federation_remote_actors')
      .set({ blocked: false })
      .where(removed.kind === 'host' ? 'host' : 'id', '=', input.target)
      .execute();
  });
}
