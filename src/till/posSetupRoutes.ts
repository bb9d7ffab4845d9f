/** The points-of-sale setup pages of a venue's till admin: each route parses, calls a use case, presents. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { formBody, submitForm, venueFor } from '../http/formRoute.ts';
import type { Html } from '../http/html.ts';
import { layout, sendHtml, type LayoutInfo } from '../http/layout.ts';
import type { Place } from '../places/index.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { deleteCategory } from './deleteCategory.ts';
import { articleNameOf, posSetupOf, type PosCategory } from './posSetup.ts';
import {
  articleForm,
  articlePage,
  categoryPage,
  formPage,
  limitsForm,
  newArticleDefaults,
  newCategoryDefaults,
  newCategoryForm,
  newPointDefaults,
  newPointForm,
  pointPage,
  setupBase,
  setupPage,
  type PointState,
  type SetupState,
} from './posSetupPage.ts';
import { saveArticle } from './saveArticle.ts';
import { saveCategory } from './saveCategory.ts';
import { savePoint } from './savePoint.ts';
import { saveTillSettings } from './saveTillSettings.ts';
import { limitsFromForm, saveTopUpLimits } from './saveTopUpLimits.ts';
import { setPointArticles } from './setPointArticles.ts';

/** What every setup route needs: the database, the venue check, and how to send a page. */
interface SetupContext {
  db: Db;
  adminPlace: (request: FastifyRequest, reply: FastifyReply) => Promise<Place | null>;
  send: (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status?: number) => FastifyReply;
}

export async function posSetupRoutes(app: ModuleApp, { deps, info }: ModuleOptions): Promise<void> {
  const context = setupContext(deps.db, info);
  app.get('/places/:slug/till/setup', async (request, reply) =>
    reply.redirect(`/venues/${encodeURIComponent((request.params as { slug: string }).slug)}/admin/till/setup`, 301),
  );
  overviewRoutes(app, context);
  pointRoutes(app, context);
  categoryRoutes(app, context);
  articleRoutes(app, context);
}

function setupContext(db: Db, info: LayoutInfo): SetupContext {
  return {
    db,
    adminPlace: venueFor(db, 'place.settings'),
    send: (request, reply, title, body, status = 200) =>
      sendHtml(reply, layout(request, info, { title, body }), status),
  };
}

/** The overview, the business day and the top-up limits. */
function overviewRoutes(app: ModuleApp, { db, adminPlace, send }: SetupContext): void {
  const overview = async (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    state?: SetupState,
    status = 200,
  ) =>
    send(
      request,
      reply,
      request.ctx.t('pos.title'),
      setupPage(request, place, await posSetupOf(db, place.id), state),
      status,
    );

  app.get('/venues/:slug/admin/till/setup', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? overview(request, reply, place) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/settings', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    return submitForm(reply, {
      run: () => saveTillSettings(db, actorOf(request), { placeId: place.id, dayStartsAt: body.dayStartsAt }),
      done: (s) =>
        overview(request, reply, place, { notice: request.ctx.t('pos.settingsSaved', { time: s.dayStartsAt }) }),
      invalid: (errors) => overview(request, reply, place, { settings: { values: body, errors } }, 422),
    });
  });

  const limitsPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    currencyId: string,
    form?: Parameters<typeof limitsForm>[3],
    status = 200,
  ) => {
    const limits = (await posSetupOf(db, place.id)).topUpLimits.find((l) => l.currencyId === currencyId);
    if (!limits) throw notFound('currency');
    const title = request.ctx.t('pos.limitsOf', { currency: limits.code });
    return send(
      request,
      reply,
      title,
      formPage(request, place, title, limitsForm(request, place, limits, form)),
      status,
    );
  };
  const currencyOf = (request: FastifyRequest) => {
    const { currencyId } = request.params as { currencyId: string };
    if (!isUuid(currencyId)) throw notFound('currency');
    return currencyId;
  };

  app.get('/venues/:slug/admin/till/setup/limits/:currencyId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? limitsPage(request, reply, place, currencyOf(request)) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/limits/:currencyId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const currencyId = currencyOf(request);
    const body = formBody(request);
    return submitForm(reply, {
      run: () => saveTopUpLimits(db, actorOf(request), { placeId: place.id, currencyId, ...limitsFromForm(body) }),
      done: () => `${setupBase(place)}#limits-title`,
      // The use case names the fields in cents; the form shows them in euros.
      invalid: (fields) => {
        const errors = fields.map((f) => ({ ...f, field: f.field.replace(/Cents$/, '') }));
        return limitsPage(request, reply, place, currencyId, { values: body, errors }, 422);
      },
    });
  });
}

/** Points of sale: new, edit, archive/restore, the articles each shows. */
function pointRoutes(app: ModuleApp, { db, adminPlace, send }: SetupContext): void {
  const newPoint = (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form = newPointDefaults(),
    status = 200,
  ) => {
    const title = request.ctx.t('pos.newPoint');
    return send(request, reply, title, formPage(request, place, title, newPointForm(request, place, form)), status);
  };
  const point = async (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    pointId: string,
    state?: PointState,
    status = 200,
  ) => {
    const setup = await posSetupOf(db, place.id);
    const found = setup.points.find((p) => p.id === pointId);
    if (!found) throw notFound('point');
    return send(request, reply, found.name, pointPage(request, place, setup, found, state), status);
  };
  const pointUrl = (place: Place, pointId: string) => `${setupBase(place)}/points/${pointId}`;

  app.post('/venues/:slug/admin/till/setup/points', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    return submitForm(reply, {
      run: () =>
        savePoint(db, actorOf(request), {
          placeId: place.id,
          name: body.name,
          paymentMethods: body.paymentMethods ?? [],
        }),
      done: (p) => pointUrl(place, p.id),
      invalid: (errors) => newPoint(request, reply, place, { values: body, errors }, 422),
    });
  });

  app.get('/venues/:slug/admin/till/setup/points/new', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? newPoint(request, reply, place) : reply;
  });

  app.get('/venues/:slug/admin/till/setup/points/:pointId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? point(request, reply, place, (request.params as { pointId: string }).pointId) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/points/:pointId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { pointId } = request.params as { pointId: string };
    const body = formBody(request);
    const input = { name: body.name, paymentMethods: body.paymentMethods ?? [], position: body.position };
    return submitForm(reply, {
      run: () => savePoint(db, actorOf(request), { placeId: place.id, pointId, ...input }),
      done: () => pointUrl(place, pointId),
      invalid: (errors) => point(request, reply, place, pointId, { form: { values: body, errors } }, 422),
    });
  });

  app.post('/venues/:slug/admin/till/setup/points/:pointId/:action', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { pointId, action } = request.params as { pointId: string; action: string };
    if (action === 'archive' || action === 'restore') {
      await savePoint(db, actorOf(request), { placeId: place.id, pointId, archived: action === 'archive' });
      return reply.redirect(pointUrl(place, pointId), 303);
    }
    if (action !== 'articles') throw notFound('page');
    const body = formBody(request);
    const articleIds = shownArticles(body);
    return submitForm(reply, {
      run: () => setPointArticles(db, actorOf(request), { placeId: place.id, pointId, articleIds }),
      done: () => pointUrl(place, pointId),
      invalid: (errors) => point(request, reply, place, pointId, { articles: { values: body, errors } }, 422),
    });
  });
}

/** The articles ticked on a point's page, in order: the numbers typed, then the page's order for the rows left blank. */
function shownArticles(body: Record<string, unknown>): unknown[] {
  const checked =
    body.articleIds === undefined ? [] : Array.isArray(body.articleIds) ? body.articleIds : [body.articleIds];
  const order = (id: unknown, i: number) => {
    const n = Number(String(body[`order.${String(id)}`] ?? '').trim());
    return String(body[`order.${String(id)}`] ?? '').trim() !== '' && Number.isFinite(n) ? n : 1e9 + i;
  };
  return checked
    .map((id, i) => ({ id, key: order(id, i), i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.id);
}

/** Categories of articles: new, edit, delete. */
function categoryRoutes(app: ModuleApp, { db, adminPlace, send }: SetupContext): void {
  const newCategory = (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form = newCategoryDefaults(),
    status = 200,
  ) => {
    const title = request.ctx.t('pos.newCategory');
    return send(request, reply, title, formPage(request, place, title, newCategoryForm(request, place, form)), status);
  };
  async function findCategory(placeId: string, categoryId: string): Promise<PosCategory> {
    const c = (await posSetupOf(db, placeId)).categories.find((x) => x.id === categoryId);
    if (!c) throw notFound('category');
    return c;
  }
  const categoryIdOf = (request: FastifyRequest) => (request.params as { categoryId: string }).categoryId;

  app.post('/venues/:slug/admin/till/setup/categories', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    return submitForm(reply, {
      run: () => saveCategory(db, actorOf(request), { placeId: place.id, name: body.name, colour: body.colour }),
      done: () => `${setupBase(place)}#categories-title`,
      invalid: (errors) => newCategory(request, reply, place, { values: body, errors }, 422),
    });
  });

  app.get('/venues/:slug/admin/till/setup/categories/new', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? newCategory(request, reply, place) : reply;
  });

  app.get('/venues/:slug/admin/till/setup/categories/:categoryId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const category = await findCategory(place.id, categoryIdOf(request));
    return send(request, reply, category.name, categoryPage(request, place, category));
  });

  app.post('/venues/:slug/admin/till/setup/categories/:categoryId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const categoryId = categoryIdOf(request);
    const body = formBody(request);
    const input = { name: body.name, colour: body.colour, position: body.position };
    return submitForm(reply, {
      run: () => saveCategory(db, actorOf(request), { placeId: place.id, categoryId, ...input }),
      done: () => setupBase(place),
      invalid: async (errors) => {
        const category = await findCategory(place.id, categoryId);
        return send(
          request,
          reply,
          category.name,
          categoryPage(request, place, category, { values: body, errors }),
          422,
        );
      },
    });
  });

  app.post('/venues/:slug/admin/till/setup/categories/:categoryId/delete', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    await deleteCategory(db, actorOf(request), { placeId: place.id, categoryId: categoryIdOf(request) });
    return reply.redirect(setupBase(place), 303);
  });
}

/** Form → article input: the selects and the checkbox as the use case reads them. */
const articleFromForm = (b: Record<string, unknown>) => ({
  name: b.name,
  kind: b.kind,
  categoryId: b.categoryId ?? '',
  price: b.price ?? '',
  openPrice: b.openPrice ?? '',
  vatRate: b.vatRate ?? '',
  colour: b.colour,
  currencyId: b.currencyId ?? '',
  membershipProductId: b.membershipProductId ?? '',
  position: b.position,
});

/** Articles: new (then a blank form for the next one), edit, archive/restore. */
function articleRoutes(app: ModuleApp, { db, adminPlace, send }: SetupContext): void {
  const newArticle = async (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form = newArticleDefaults(request),
    status = 200,
    notice?: string,
  ) => {
    const { t } = request.ctx;
    const setup = await posSetupOf(db, place.id);
    const content = articleForm(request, setup, form, `${setupBase(place)}/articles`, t('pos.createArticle'));
    return send(
      request,
      reply,
      t('pos.newArticle'),
      formPage(request, place, t('pos.newArticle'), content, notice),
      status,
    );
  };
  const article = async (
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    articleId: string,
    form?: Parameters<typeof articlePage>[4],
    status = 200,
  ) => {
    const setup = await posSetupOf(db, place.id);
    const found = setup.articles.find((x) => x.id === articleId);
    if (!found) throw notFound('article');
    return send(request, reply, found.name, articlePage(request, place, setup, found, form), status);
  };
  const articleUrl = (place: Place, articleId: string) => `${setupBase(place)}/articles/${articleId}`;

  app.post('/venues/:slug/admin/till/setup/articles', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    return submitForm(reply, {
      run: () => saveArticle(db, actorOf(request), { placeId: place.id, ...articleFromForm(body) }),
      // A blank form again, to type the next article of the menu.
      done: (a) => `${setupBase(place)}/articles/new?created=${a.id}`,
      invalid: (errors) => newArticle(request, reply, place, { values: body, errors }, 422),
    });
  });

  app.get('/venues/:slug/admin/till/setup/articles/new', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const created = String((request.query as { created?: string }).created ?? '');
    const name = await articleNameOf(db, place.id, created);
    const notice = name === null ? undefined : request.ctx.t('pos.articleCreated', { name });
    return newArticle(request, reply, place, undefined, 200, notice);
  });

  app.get('/venues/:slug/admin/till/setup/articles/:articleId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? article(request, reply, place, (request.params as { articleId: string }).articleId) : reply;
  });

  app.post('/venues/:slug/admin/till/setup/articles/:articleId', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { articleId } = request.params as { articleId: string };
    const body = formBody(request);
    return submitForm(reply, {
      run: () => saveArticle(db, actorOf(request), { placeId: place.id, articleId, ...articleFromForm(body) }),
      done: () => articleUrl(place, articleId),
      invalid: (errors) => article(request, reply, place, articleId, { values: body, errors }, 422),
    });
  });

  app.post('/venues/:slug/admin/till/setup/articles/:articleId/:action', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { articleId, action } = request.params as { articleId: string; action: string };
    if (action !== 'archive' && action !== 'restore') throw notFound('page');
    await saveArticle(db, actorOf(request), { placeId: place.id, articleId, archived: action === 'archive' });
    return reply.redirect(articleUrl(place, articleId), 303);
  });
}
