import { after, before } from 'node:test';
import { createHash, createSign, generateKeyPairSync } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Starts a loopback server on a free port: the URL of its `/inbox`. */
export async function listenInbox(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`;
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

/** A remote actor on a loopback server, with its RSA key: what it serves, what it received, how it signs. */
export interface FakeRemote {
  origin: string;
  /** The actor's id. */
  actor: string;
  /** Documents it serves by path (the actor is served at its own path), set by the test; a string is sent as is. */
  documents: Map<string, unknown>;
  /** POSTs received (its inbox), and the signature header of each GET it answered. */
  received: { path: string; body: Record<string, unknown> }[];
  /** GETs it answered, as received (signatures are checked on them). */
  gets: IncomingMessage[];
  /**
   * POSTs `body` to `inbox`, signed with node:crypto the way Mobilizon (`(request-target) content-length
   * date digest host`) or Gancio (`(request-target) host date digest`) sign; resolves the status.
   */
  deliver(inbox: string, body: string, headers?: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

export async function fakeRemote(options: {
  path: string;
  type?: string;
  name?: string;
  extra?: Record<string, unknown>;
}): Promise<FakeRemote> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const documents = new Map<string, unknown>();
  const received: FakeRemote['received'] = [];
  const gets: FakeRemote['gets'] = [];
  const remote: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (req.method === 'POST') {
        received.push({ path, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        return void res.writeHead(202).end();
      }
      gets.push(req);
      const doc = documents.get(path);
      if (doc === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/activity+json' });
      res.end(typeof doc === 'string' ? doc : JSON.stringify(doc));
    });
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  const actor = `${origin}${options.path}`;
  documents.set(options.path, {
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
    id: actor,
    type: options.type ?? 'Group',
    preferredUsername: options.path.split('/').at(-1)!.replace(/^@/, ''),
    name: options.name ?? 'Remote',
    inbox: `${actor}/inbox`,
    outbox: `${actor}/outbox`,
    followers: `${actor}/followers`,
    publicKey: {
      id: `${actor}#main-key`,
      owner: actor,
      publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    },
    ...options.extra,
  });
  function deliver(
    inbox: string,
    body: string,
    names: readonly string[] = ['(request-target)', 'content-length', 'date', 'digest', 'host'],
  ): Promise<number> {
    const url = new URL(inbox);
    const headers: Record<string, string> = {
      host: url.host,
      date: new Date().toUTCString(),
      digest: `SHA-256=${createHash('sha256').update(body).digest('base64')}`,
      'content-length': String(Buffer.byteLength(body)),
      'content-type': 'application/activity+json',
    };
    const signed = names
      .map((n) => `${n}: ${n === '(request-target)' ? `post ${url.pathname}` : headers[n]}`)
      .join('\n');
    const signature = createSign('sha256').update(signed).sign(keys.privateKey, 'base64');
    headers.signature =
      `keyId="${actor}#main-key",algorithm="rsa-sha256",` + `headers="${names.join(' ')}",signature="${signature}"`;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  return {
    origin,
    actor,
    documents,
    received,
    gets,
    deliver,
    close: () => new Promise<void>((resolve) => remote.close(() => resolve())),
  };
}

/**
 * A node and some fake remote actors for one test file (node:test hooks): started before its tests,
 * the ones marked `followed` followed by the node's relay, all closed after. Read `world.node` and
 * `world.remotes[name]` inside the tests.
 */
export function useNodeWithRemotes<K extends string>(
  remotes: Record<K, Parameters<typeof fakeRemote>[0] & { followed?: boolean }>,
): { node: Running; remotes: Record<K, FakeRemote> } {
  const world = { remotes: {} } as { node: Running; remotes: Record<K, FakeRemote> };
  before(async () => {
    for (const [name, options] of Object.entries(remotes) as [K, (typeof remotes)[K]][])
      world.remotes[name] = await fakeRemote(options);
    world.node = await startNode();
    for (const [name, options] of Object.entries(remotes) as [K, (typeof remotes)[K]][])
      if (options.followed) await followed(world.node.db, world.remotes[name].actor);
  });
  after(async () => {
    await world.node?.close();
    for (const remote of Object.values<FakeRemote>(world.remotes)) await remote.close();
  });
  return world;
}
