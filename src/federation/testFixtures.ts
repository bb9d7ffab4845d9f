import { inTransaction, type Db } from '../db/database.ts';
import { upsertRemoteActor } from './remoteActors.ts';

/** A followed remote actor: what storeRemoteEvent requires before it stores anything. */
export async function followed(db: Db, remote: string, tags: { include?: string[]; exclude?: string[] } = {}) {
  await inTransaction(db, async (trx) => {
    const host = new URL(remote).host;
    await upsertRemoteActor(trx, {
      id: remote,
      type: 'Group',
      inbox: `${remote}/inbox`,
      sharedInbox: null,
      handle: null,
      name: host,
    });
    await trx
      .insertInto('federation_follows')
      .values({
        local_actor: 'relay',
        remote_actor: remote,
        state: 'accepted',
        follow_activity_id: `${remote}#follow`,
        include_tags: tags.include ?? [],
        exclude_tags: tags.exclude ?? [],
      })
      .execute();
  });
}
