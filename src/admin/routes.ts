import type { FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { csrfField } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { setOperator } from '../accounts/index.ts';
import { forbidden } from '../shared/errors.ts';
import { listPlaces } from '../places/index.ts';
import { listPeople } from './listPeople.ts';
import { paymentIssuesPage } from './paymentIssuesPage.ts';
import { localeOf } from '../i18n/i18n.ts';

/** Node administration, for operators: every venue and every person. */
export async function adminRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db } = deps;

  function requireOperator(request: FastifyRequest) {
    if (!request.ctx.person?.isOperator) throw forbidden();
  }

  app.get('/admin', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    requireOperator(request);
    const { t, lang } = request.ctx;
    const search = String((request.query as { q?: string }).q ?? '').slice(0, 100);
    const [places, people] = await Promise.all([
      listPlaces(db, { search }),
      listPeople(db, actorOf(request), { search }),
    ]);
    const fmt = (d: Date) => d.toLocaleDateString(localeOf(lang));
    const body = html`<section>
<h1>${t('nodeAdmin.title')}</h1>
<p><a href="/admin/cards">${t('cards.adminTitle')}</a> · <a href="/admin/payments">${t('paymentIssues.title')}</a> · <a href="/admin/federation">${t('federation.admin.title')}</a></p>
<form method="get" action="/admin" role="search" class="inline-form"><label for="q">${t('home.search')}</label> <input id="q" name="q" type="search" value="${search}"> <button type="submit">${t('home.searchButton')}</button></form>
<h2>${t('nodeAdmin.venues', { count: places.length })}</h2>
<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.city')}</th><th scope="col">${t('nodeAdmin.created')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${places.map((p) => html`<tr><td><a href="/venues/${p.slug}">${p.name}</a></td><td>${p.city}</td><td>${fmt(p.createdAt)}</td><td><a href="/venues/${p.slug}/admin/dashboard">${t('account.manage')}</a></td></tr>`)}</tbody></table></div>
<h2>${t('nodeAdmin.people', { count: people.length })}</h2>
<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('labels.email')}</th><th scope="col">${t('labels.name')}</th><th scope="col">${t('nodeAdmin.placesCount')}</th><th scope="col">${t('nodeAdmin.operator')}</th></tr></thead>
<tbody>${people.map(
      (p) => html`<tr><td>${p.email}</td><td>${p.name}</td><td>${p.places}</td><td>
<form method="post" action="/admin/operators" class="inline">${csrfField(request)}<input type="hidden" name="email" value="${p.email}"><input type="hidden" name="operator" value="${p.isOperator ? '0' : '1'}">
${p.isOperator ? t('nodeAdmin.isOperator') : t('nodeAdmin.notOperator')}
${p.id !== request.ctx.person!.id ? html` <button type="submit" class="link">${p.isOperator ? t('nodeAdmin.revoke') : t('nodeAdmin.grant')}</button>` : ''}</form></td></tr>`,
    )}</tbody></table></div>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('nodeAdmin.title'), body }));
  });

  app.get('/admin/payments', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    requireOperator(request);
    const body = await paymentIssuesPage(db, actorOf(request), request);
    return sendHtml(reply, layout(request, info, { title: request.ctx.t('paymentIssues.title'), body }));
  });

  app.post('/admin/operators', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    requireOperator(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    await setOperator(db, actorOf(request), { email: body.email, operator: body.operator === '1' });
    return reply.redirect('/admin', 303);
  });
}
