import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { actorDocument, nodeInfo, nodeInfoLinks, orderedCollection } from './actorDocument.ts';
import { collectionItems, eventDocument, usageCounts } from './documents.ts';
import { createRezoFederation, localActor, type FederationData } from './fedify.ts';
import { federationAdminRoutes } from './adminPages.ts';
import { availabilityRoutes } from './availabilityRoutes.ts';
import { watchAvailability } from './availabilityUpdates.ts';
import { fedifyHooks } from './mount.ts';
import { deliverOutbox } from './outbox.ts';
import { ACTOR_COLLECTIONS, actorUrl, type ActorCollection } from './urls.ts';

const AP_JSON = 'application/activity+json; charset=utf-8';

/**
 * The federation's HTTP surface (docs/FEDERATION.md, "URLs"): Fedify answers WebFinger and the inbox
 * POSTs from route-level onRequest hooks (mount.ts); every document under /ap/ and NodeInfo are
 * built here as JSON.
 */
export async function federationRoutes(app: ModuleApp, options: ModuleOptions): Promise<void> {
  const { db, config, logger } = options.deps;
  const federation = createRezoFederation(db, config);
  let delivering: Promise<unknown> | null = null;
  let again = false;
  const data: FederationData = {
    db,
    config,
    logger,
    // An Accept queued by an inbox POST goes out right after, not at the next housekeeping round.
    kick() {
      if (delivering) return void (again = true);
      delivering = (async () => {
        do {
          again = false;
          await deliverOutbox(db, config).catch((err: unknown) => logger.error({ err }, 'federation delivery failed'));
        } while (again);
        delivering = null;
      })();
    },
  };
  // A date sold out (or reopened) reaches followers within a second: availabilityUpdates.ts.
  const stopWatching = watchAvailability(db, config, logger, () => data.kick());
  app.addHook('onClose', async () => {
    await stopWatching();
    await delivering;
  });
  const hooks = fedifyHooks(federation, data);
  availabilityRoutes(app, federation, data);

  app.get('/.well-known/webfinger', { onRequest: hooks.webfinger, schema: { hide: true } }, async () => {
    throw notFound('actor');
  });
  for (const url of ['/ap/inbox', '/ap/actors/:actor/inbox'])
    app.post(url, { onRequest: hooks.inbox, schema: { hide: true } }, async (_request, reply) =>
      reply.code(415).send(),
    );

  app.get('/.well-known/nodeinfo', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(nodeInfoLinks(config)),
  );
  app.get('/nodeinfo/2.1', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"; charset=utf-8')
      .send(nodeInfo(config, await usageCounts(db))),
  );

  app.get<{ Params: { actor: string } }>('/ap/actors/:actor', { schema: { hide: true } }, async (request, reply) => {
    const actor = await localActor(db, request.params.actor);
    if (!actor) throw notFound('actor');
    const identifier = actor.kind === 'venue' ? actor.id : request.params.actor;
    return reply.type(AP_JSON).send(await actorDocument(federation, data, identifier, actor));
  });
  app.get<{ Params: { actor: string; collection: string } }>(
    '/ap/actors/:actor/:collection',
    { schema: { hide: true } },
    async (request, reply) => {
      const collection = request.params.collection as ActorCollection;
      const actor = await localActor(db, request.params.actor);
      if (!actor || !ACTOR_COLLECTIONS.includes(collection)) throw notFound('collection');
      const identifier = actor.kind === 'venue' ? actor.id : request.params.actor;
      const { items, total } = await collectionItems(db, config, identifier, collection);
      const id = `${actorUrl(config.baseUrl, identifier)}/${collection}`;
      return reply.type(AP_JSON).send(orderedCollection(id, items, total));
    },
  );
  app.get<{ Params: { dateId: string } }>('/ap/events/:dateId', { schema: { hide: true } }, async (request, reply) => {
    const found = isUuid(request.params.dateId)
      ? await eventDocument(db, config, request.params.dateId.toLowerCase())
      : null;
    if (!found) throw notFound('event');
    return reply.code(found.status).type(AP_JSON).send(found.body);
  });
  await federationAdminRoutes(app, options, federation, data);
}
