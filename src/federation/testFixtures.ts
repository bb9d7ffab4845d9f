import pino from 'pino';
import { freePort } from '../../test/browser/browser.ts';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { inTransaction, type Db } from '../db/database.ts';
import type { FederationData } from './fedify.ts';
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

/** A Rezo node listening on a 127.0.0.1 port (private addresses allowed: test mode). */
export interface Running extends TestNode {
  port: number;
  url: string;
  data: FederationData;
}

export async function startNode(): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const node = await createTestNode({ baseUrl: url, federationRetryMs: 100, federationInboxPerMinute: 1000 });
  await node.app.listen({ port, host: '127.0.0.1' });
  const data: FederationData = { db: node.db, config: node.config, logger: pino({ level: 'silent' }), kick() {} };
  return { ...node, port, url, data };
}

/** Waits until `check` holds, polling every 10 ms; throws after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
