import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { authorize } from '../access/permissions.ts';
import { getPlaceBySlug, type Place } from '../places/index.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dashboardModel, tonightModel } from './dashboardModel.ts';
import { dashboardPage, tonightPanel } from './dashboardPage.ts';

/** The venue's dashboard (admins): tonight, this week, the season, and what the federation owes it. */
export async function dashboardRoutes(app: ModuleApp, { deps, info }: ModuleOptions): Promise<void> {
  const { db } = deps;

  async function adminVenue(request: FastifyRequest, reply: FastifyReply): Promise<Place | null> {
    if (!personOrLogin(request, reply)) return null;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    await authorize(db, actorOf(request), place.id, 'place.settings');
    return place;
  }

  app.get('/venues/:slug/admin/dashboard', { schema: { hide: true } }, async (request, reply) => {
    const place = await adminVenue(request, reply);
    if (!place) return reply;
    const model = await dashboardModel(db, place);
    reply.header('cache-control', 'no-store');
    return sendHtml(
      reply,
      layout(request, info, {
        title: `${request.ctx.t('admin.titles.dashboard')} — ${place.name}`,
        body: dashboardPage(request, model),
      }),
    );
  });

  // The "tonight" panel alone, as an HTML fragment the page fetches every minute.
  app.get('/venues/:slug/admin/dashboard/tonight', { schema: { hide: true } }, async (request, reply) => {
    const place = await adminVenue(request, reply);
    if (!place) return reply;
    const now = new Date();
    const model = { place, now, ...(await tonightModel(db, place, now)) };
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(tonightPanel(request, model).value);
  });
}
