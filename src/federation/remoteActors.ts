import type { Trx } from '../db/database.ts';

export interface RemoteActor {
  id: string;
  type: string;
  inbox: string;
  sharedInbox: string | null;
  handle: string | null;
  name: string;
}

/** Stores (or refreshes) what we know of a remote actor: where to deliver to it. */
export async function upsertRemoteActor(trx: Trx, actor: RemoteActor): Promise<void> {
  const values = {
    type: actor.type,
    inbox: actor.inbox,
    shared_inbox: actor.sharedInbox,
    handle: actor.handle,
    host: new URL(actor.id).host,
    name: actor.name.slice(0, 300),
  };
  await trx
    .insertInto('federation_remote_actors')
    .values({ id: actor.id, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, fetched_at: new Date() }))
    .execute();
}
