import { Application, createFederation, Endpoints, Group, kvCache, type Federation } from '@fedify/fedify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { findPlaceById, findPlaceBySlug } from '../places/index.ts';
import { isUuid } from '../shared/ids.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { contextLoaderFactory } from './contexts.ts';
import { fetchDocument, signedDocumentLoader } from './documentLoader.ts';
import { registerInbox } from './inbox.ts';
import { KyselyKvStore } from './kvStore.ts';
import { INSTANCE_ACTOR } from './urls.ts';

/** What every Fedify callback of a node receives. */
export interface FederationData {
  db: Db;
  config: Config;
  logger: Logger;
  /** Asks the outbox to deliver soon (an Accept was queued). */
  kick(): void;
}

export type RezoFederation = Federation<FederationData>;

/**
 * Fedify for one node (docs/FEDERATION.md, "Implementation notes"): WebFinger, the inboxes (signature
 * checks, key lookup, dispatch), key pairs. Documents served under /ap/ are Fastify routes building
 * JSON; what the actor dispatcher returns is used by Fedify only (WebFinger, inbox recipients). No
 * message queue: deliveries go through federation_outbox, inbox activities are handled in the request.
 */
export function createRezoFederation(db: Db, config: Config): RezoFederation {
  const kv = new KyselyKvStore(db);
  const allowPrivate = config.federationAllowPrivate;
  // Every fetch Fedify makes goes through fetchDocument (documentLoader.ts): address checks at
  // connection time, 1 MiB, 10 s; actors and keys fetched with a GET signed by the instance actor.
  // Fedify's own `allowPrivateAddress` is left off: it forbids custom loaders, and fetchDocument
  // applies the same rule (private addresses only in development and tests).
  const signedLoader = kvCache({ loader: signedDocumentLoader(db, config.baseUrl, allowPrivate), kv });
  const federation = createFederation<FederationData>({
    kv,
    origin: config.baseUrl,
    signatureTimeWindow: { hours: 1 },
    documentLoaderFactory: () => signedLoader,
    contextLoaderFactory: contextLoaderFactory(kvCache({ loader: (url) => fetchDocument(url, { allowPrivate }), kv })),
    authenticatedDocumentLoaderFactory: (signer) => (url) => fetchDocument(url, { allowPrivate, signer }),
  });
  federation
    .setActorDispatcher('/ap/actors/{identifier}', async (ctx, identifier) => {
      const actor = await localActor(ctx.data.db, identifier);
      if (!actor) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      const common = {
        id: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0]?.cryptographicKey ?? null,
        assertionMethods: keys.map((k) => k.multikey),
      };
      if (actor.kind === 'instance')
        return new Application({
          ...common,
          preferredUsername: INSTANCE_ACTOR,
          name: ctx.data.config.territoryName,
          url: new URL(ctx.data.config.baseUrl),
        });
      return new Group({
        ...common,
        preferredUsername: actor.slug,
        name: actor.name,
        url: new URL(`${ctx.data.config.baseUrl}/venues/${actor.slug}`),
      });
    })
    .setKeyPairsDispatcher(async (ctx, identifier) => {
      if (!(await localActor(ctx.data.db, identifier))) return [];
      const keys = await actorKeyPairs(ctx.data.db, identifier);
      return [keys.rsa, keys.ed25519];
    })
    .mapHandle(async (ctx, username) => {
      if (username === INSTANCE_ACTOR) return INSTANCE_ACTOR;
      return (await findPlaceBySlug(ctx.data.db, username))?.id ?? null;
    });
  registerInbox(federation);
  return federation;
}

/** A local actor by its identifier: the instance actor, or a venue by id. */
export async function localActor(
  db: Db,
  identifier: string,
): Promise<{ kind: 'instance' } | { kind: 'venue'; id: string; slug: string; name: string } | null> {
  if (identifier === INSTANCE_ACTOR) return { kind: 'instance' };
  if (!isUuid(identifier)) return null;
  const place = await findPlaceById(db, identifier.toLowerCase());
  return place ? { kind: 'venue', id: place.id, slug: place.slug, name: place.name } : null;
}
