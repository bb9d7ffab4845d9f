/** The points-of-sale setup API of a venue (by id, API key or session): settings, limits, points, categories, articles. */
import type { Db } from '../db/database.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { Uuid, responses } from '../http/schemas.ts';
import { Type } from 'typebox';
import { deleteCategory } from './deleteCategory.ts';
import { posSetupOf } from './posSetup.ts';
import { saveArticle } from './saveArticle.ts';
import { saveCategory } from './saveCategory.ts';
import { savePoint } from './savePoint.ts';
import { saveTillSettings } from './saveTillSettings.ts';
import { saveTopUpLimits } from './saveTopUpLimits.ts';
import { setPointArticles } from './setPointArticles.ts';
import {
  ArticleBody,
  ArticleSchema,
  CategoryBody,
  CategorySchema,
  Colour,
  LimitCents,
  Name,
  PlaceParams,
  PointBody,
  PointSchema,
  Position,
  security,
  SetupSchema,
  tags,
  TopUpLimitsSchema,
} from './schemas.ts';
import { settingsPlace } from './settingsPlace.ts';

export async function posApiRoutes(app: ModuleApp, { deps }: ModuleOptions): Promise<void> {
  settingsApi(app, deps.db);
  pointsApi(app, deps.db);
  categoriesApi(app, deps.db);
  articlesApi(app, deps.db);
}

function settingsApi(app: ModuleApp, db: Db): void {
  app.get(
    '/api/v1/places/:placeId/pos',
    {
      schema: {
        tags,
        summary: "A venue's points of sale, categories, articles (archived included) and what articles may credit",
        security,
        params: PlaceParams,
        response: responses({ 200: SetupSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return posSetupOf(db, request.params.placeId);
    },
  );

  app.put(
    '/api/v1/places/:placeId/pos/settings',
    {
      schema: {
        tags,
        summary: "Set the venue's business day start ('HH:MM', local time)",
        security,
        params: PlaceParams,
        body: Type.Object({ dayStartsAt: Type.String({ maxLength: 8 }) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ dayStartsAt: Type.String() }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveTillSettings(db, actorOf(request), {
        placeId: request.params.placeId,
        dayStartsAt: request.body.dayStartsAt,
      });
    },
  );

  app.put(
    '/api/v1/places/:placeId/pos/top-up-limits/:currencyId',
    {
      schema: {
        tags,
        summary:
          'Set the counter top-up limits of a currency the venue credits: per line, per sale, per card and business day, per business day (cents)',
        security,
        params: Type.Object({ placeId: Uuid, currencyId: Uuid }),
        body: Type.Object(
          { lineMaxCents: LimitCents, saleMaxCents: LimitCents, cardDayMaxCents: LimitCents, dayMaxCents: LimitCents },
          { additionalProperties: false },
        ),
        response: responses({ 200: TopUpLimitsSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveTopUpLimits(db, actorOf(request), { ...request.params, ...request.body });
    },
  );
}

function pointsApi(app: ModuleApp, db: Db): void {
  app.post(
    '/api/v1/places/:placeId/pos/points',
    {
      schema: {
        tags,
        summary: 'Create a point of sale',
        security,
        params: PlaceParams,
        body: Type.Object(
          { ...PointBody, position: Type.Optional(Position), archived: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: responses({ 201: PointSchema }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      return reply
        .status(201)
        .send(await savePoint(db, actorOf(request), { placeId: request.params.placeId, ...request.body }));
    },
  );

  app.patch(
    '/api/v1/places/:placeId/pos/points/:pointId',
    {
      schema: {
        tags,
        summary: 'Change a point of sale (what is not sent keeps its value; archived: true hides it from the tills)',
        security,
        params: Type.Object({ placeId: Uuid, pointId: Uuid }),
        body: Type.Partial(Type.Object(PointBody), { additionalProperties: false }),
        response: responses({ 200: PointSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return savePoint(db, actorOf(request), { ...request.params, ...request.body });
    },
  );

  app.put(
    '/api/v1/places/:placeId/pos/points/:pointId/articles',
    {
      schema: {
        tags,
        summary: 'Set the articles a point of sale shows, in order (replaces the list)',
        security,
        params: Type.Object({ placeId: Uuid, pointId: Uuid }),
        body: Type.Object(
          { articleIds: Type.Array(Type.String({ maxLength: 36 }), { maxItems: 200 }) },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ pointId: Uuid, articleIds: Type.Array(Uuid) }) }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return setPointArticles(db, actorOf(request), { ...request.params, articleIds: request.body.articleIds });
    },
  );
}

function categoriesApi(app: ModuleApp, db: Db): void {
  app.post(
    '/api/v1/places/:placeId/pos/categories',
    {
      schema: {
        tags,
        summary: 'Create a category of articles',
        security,
        params: PlaceParams,
        body: Type.Object(
          { name: Name, colour: Type.Optional(Colour), position: Type.Optional(Position) },
          { additionalProperties: false },
        ),
        response: responses({ 201: CategorySchema }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      return reply
        .status(201)
        .send(await saveCategory(db, actorOf(request), { placeId: request.params.placeId, ...request.body }));
    },
  );

  app.patch(
    '/api/v1/places/:placeId/pos/categories/:categoryId',
    {
      schema: {
        tags,
        summary: 'Change a category',
        security,
        params: Type.Object({ placeId: Uuid, categoryId: Uuid }),
        body: Type.Partial(Type.Object(CategoryBody), { additionalProperties: false }),
        response: responses({ 200: CategorySchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveCategory(db, actorOf(request), { ...request.params, ...request.body });
    },
  );

  app.delete(
    '/api/v1/places/:placeId/pos/categories/:categoryId',
    {
      schema: {
        tags,
        summary: 'Delete a category no article on sale uses (409 pos-category-in-use otherwise)',
        security,
        params: Type.Object({ placeId: Uuid, categoryId: Uuid }),
        response: responses({ 204: Type.Null() }, [401, 403, 404, 409]),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      await deleteCategory(db, actorOf(request), request.params);
      return reply.status(204).send();
    },
  );
}

function articlesApi(app: ModuleApp, db: Db): void {
  app.post(
    '/api/v1/places/:placeId/pos/articles',
    {
      schema: {
        tags,
        summary: 'Create an article',
        security,
        params: PlaceParams,
        description:
          'priceCents: cents, or null for an amount typed at the till (sale, top_up, cash_out, gift_top_up, membership). vatRate: basis points (850 = 8.5 %). ' +
          'top_up: currencyId is the federated euro of a federation of the venue or a local euro it issues; gift_top_up: a gift currency it issues; membership: membershipProductId.',
        body: Type.Object(
          {
            name: Name,
            kind: ArticleBody.kind,
            priceCents: ArticleBody.priceCents,
            categoryId: Type.Optional(ArticleBody.categoryId),
            vatRate: Type.Optional(ArticleBody.vatRate),
            colour: Type.Optional(Colour),
            currencyId: Type.Optional(ArticleBody.currencyId),
            membershipProductId: Type.Optional(ArticleBody.membershipProductId),
            position: Type.Optional(Position),
            archived: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: ArticleSchema }),
      },
    },
    async (request, reply) => {
      await settingsPlace(db, request, request.params.placeId);
      return reply
        .status(201)
        .send(await saveArticle(db, actorOf(request), { placeId: request.params.placeId, ...request.body }));
    },
  );

  app.patch(
    '/api/v1/places/:placeId/pos/articles/:articleId',
    {
      schema: {
        tags,
        summary:
          'Change an article (what is not sent keeps its value; archived: true hides it from the tills, its history stays)',
        security,
        params: Type.Object({ placeId: Uuid, articleId: Uuid }),
        body: Type.Partial(Type.Object(ArticleBody), { additionalProperties: false }),
        response: responses({ 200: ArticleSchema }),
      },
    },
    async (request) => {
      await settingsPlace(db, request, request.params.placeId);
      return saveArticle(db, actorOf(request), { ...request.params, ...request.body });
    },
  );
}
