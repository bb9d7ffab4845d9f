import { after, before } from 'node:test';
import pino from 'pino';
import { createEvent } from '../agenda/createEvent.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { inDays, venue } from '../agenda/testFixtures.ts';
import { freePort } from '../../test/browser/browser.ts';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { inTransaction, type Db } from '../db/database.ts';
import type { FederationData } from './fedify.ts';
import { upsertRemoteActor } from './remoteActors.ts';

/**
 * A followed remote actor (accepted): what storeRemoteEvent requires before it stores anything. Followed
 * by the instance actor unless `localActor` (a venue's id) says otherwise; the actor is named after its host.
 */
export async function followed(
  db: Db,
  remote: string,
  tags: { include?: string[]; exclude?: string[] } = {},
  localActor = 'relay',
) {
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
        local_actor: localActor,
        remote_actor: remote,
        state: 'accepted',
        follow_activity_id: `${remote}#follow-${localActor}`,
        include_tags: tags.include ?? [],
        exclude_tags: tags.exclude ?? [],
      })
      .onConflict((oc) => oc.columns(['local_actor', 'remote_actor']).doUpdateSet({ state: 'accepted' }))
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

export type TestVenue = Awaited<ReturnType<typeof venue>>;
export interface TwoNodes {
  a: Running;
  b: Running;
  /** `kabaret-a` on A, `la-raffinerie` on B. */
  venueA: TestVenue;
  venueB: TestVenue;
}

/**
 * Two nodes on their own databases and 127.0.0.1 ports, a venue on each; filled (and given to `ready`)
 * before the file's tests, closed after.
 */
export function useTwoNodes(ready: (two: TwoNodes) => void = () => {}): TwoNodes {
  const two = {} as TwoNodes;
  before(async () => {
    [two.a, two.b] = await Promise.all([startNode(), startNode()]);
    two.venueB = await venue(two.b.db, 'la-raffinerie');
    two.venueA = await venue(two.a.db, 'kabaret-a');
    ready(two);
  });
  after(async () => {
    await Promise.all([two.a?.close(), two.b?.close()]);
  });
  return two;
}

/** A public event of the venue, one date `days` ahead at 20:00 in Indian/Reunion, published: its id. */
export async function publishedEvent(
  db: Db,
  place: TestVenue,
  input: { title: string; tags: string[]; days: number; description?: string },
): Promise<string> {
  const e = await createEvent(db, place.admin, {
    placeId: place.id,
    title: input.title,
    tags: input.tags,
    ...(input.description ? { description: input.description } : {}),
    dates: [{ startsAt: inDays(input.days), timezone: 'Indian/Reunion' }],
  });
  await publishEvent(db, place.admin, { eventId: e.id });
  return e.id;
}
