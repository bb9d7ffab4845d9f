import { ledgerIdentity } from '../ledger/index.ts';
import type { Config } from '../config.ts';
import type { FederationData, RezoFederation } from './fedify.ts';
import { ACTOR_COLLECTIONS, actorUrl, AS_CONTEXT, INSTANCE_ACTOR, sharedInboxUrl, iriTerm } from './urls.ts';

const ACTOR_CONTEXT = [
  AS_CONTEXT,
  'https://w3id.org/security/v1',
  'https://w3id.org/security/data-integrity/v1',
  // Multikey, controller, publicKeyMultibase (and `assertionMethod` below): without them #key-2 is
  // no Multikey to a JSON-LD reader and object proofs (proofs.ts) cannot be verified.
  'https://w3id.org/security/multikey/v1',
  {
    mz: 'https://joinmobilizon.org/ns#',
    rezo: 'https://rezo.coop/ns#',
    schema: 'http://schema.org#',
    PropertyValue: 'schema:PropertyValue',
    value: 'schema:value',
    fep8a8e: 'https://w3id.org/fep/8a8e/',
    discoverable: 'http://joinmastodon.org/ns#discoverable',
    manuallyApprovesFollowers: 'as:manuallyApprovesFollowers',
    members: iriTerm('mz:members'),
    resources: iriTerm('mz:resources'),
    todos: iriTerm('mz:todos'),
    posts: iriTerm('mz:posts'),
    discussions: iriTerm('mz:discussions'),
    events: iriTerm('mz:events'),
    openness: iriTerm('mz:openness'),
    upcomingEvents: iriTerm('fep8a8e:upcomingEvents'),
    assertionMethod: { '@id': 'https://w3id.org/security#assertionMethod', '@type': '@id', '@container': '@set' },
  },
];

type Local = { kind: 'instance' } | { kind: 'venue'; id: string; slug: string; name: string };

/** A JSON-LD object from Fedify without its own @context (the actor's carries it). */
function bare(json: unknown): unknown {
  const { '@context': _context, ...rest } = json as Record<string, unknown>;
  return rest;
}

/**
 * The actor document (docs/FEDERATION.md, "Actors"): the instance actor as an Application, a venue as
 * a Group with the collections Mobilizon refreshes. Built as JSON here (Fedify's typed Group has no
 * Mobilizon collections); the keys are Fedify's own (`getActorKeyPairs`), so signatures verify.
 */
export async function actorDocument(
  federation: RezoFederation,
  data: FederationData,
  identifier: string,
  actor: Local,
): Promise<Record<string, unknown>> {
  const { config } = data;
  const id = actorUrl(config.baseUrl, identifier);
  const ctx = federation.createContext(new URL(config.baseUrl), data);
  const keys = await ctx.getActorKeyPairs(identifier);
  const collections = Object.fromEntries(
    ACTOR_COLLECTIONS.map((c) => [c === 'upcoming' ? 'upcomingEvents' : c, `${id}/${c}`]),
  );
  const common = {
    '@context': ACTOR_CONTEXT,
    id,
    inbox: `${id}/inbox`,
    ...collections,
    endpoints: { sharedInbox: sharedInboxUrl(config.baseUrl) },
    discoverable: true,
    publicKey: keys[0] ? bare(await keys[0].cryptographicKey.toJsonLd()) : undefined,
    assertionMethod: await Promise.all(keys.map(async (k) => bare(await k.multikey.toJsonLd()))),
  };
  if (actor.kind === 'instance') {
    // The node's ledger publication (docs/FEDERATION.md, "Actors"): the witness key and each
    // currency log's verifier key, what `rezo ledger identity` prints, so a peer can pin them.
    const ledger = await ledgerIdentity(data.db, config.baseUrl);
    return {
      ...common,
      type: 'Application',
      preferredUsername: INSTANCE_ACTOR,
      name: config.territoryName,
      url: config.baseUrl,
      manuallyApprovesFollowers: true,
      'rezo:ledgerLogs': `${config.baseUrl}/ledger/logs`,
      'rezo:ledgerWitnessKey': ledger.witnessKey,
      attachment: ledger.logs.map((l) => ({
        type: 'PropertyValue',
        name: `rezo:ledgerLog:${l.currencyCode}`,
        value: l.verifierKey,
      })),
    };
  }
  return {
    ...common,
    type: 'Group',
    preferredUsername: actor.slug,
    name: actor.name,
    url: `${config.baseUrl}/venues/${actor.slug}`,
    openness: 'open',
    manuallyApprovesFollowers: false,
  };
}

/** An OrderedCollection of ids (empty for members, resources, todos, posts, discussions). */
export function orderedCollection(id: string, items: string[], totalItems = items.length): Record<string, unknown> {
  return { '@context': AS_CONTEXT, id, type: 'OrderedCollection', totalItems, orderedItems: items };
}

/** NodeInfo discovery (FEP-2677): the 2.1 schema link first, then the instance actor. */
export function nodeInfoLinks(config: Config): Record<string, unknown> {
  return {
    links: [
      { rel: 'http://nodeinfo.diaspora.software/ns/schema/2.1', href: `${config.baseUrl}/nodeinfo/2.1` },
      {
        rel: 'https://www.w3.org/ns/activitystreams#Application',
        href: actorUrl(config.baseUrl, INSTANCE_ACTOR),
      },
    ],
  };
}

/** The NodeInfo 2.1 document. */
export function nodeInfo(config: Config, counts: { venues: number; events: number }): Record<string, unknown> {
  return {
    version: '2.1',
    software: { name: 'rezo', version: '0.1.0' },
    protocols: ['activitypub'],
    services: { inbound: [], outbound: ['rss2.0'] },
    openRegistrations: false,
    usage: { users: { total: counts.venues }, localPosts: counts.events },
    metadata: { nodeName: config.territoryName, territory: config.territoryName, ledgerLogs: '/ledger/logs' },
  };
}
