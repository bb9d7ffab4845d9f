import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, personOrLogin } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, errorSummary, input, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { adminNav, type Place } from '../places/index.ts';
import { forbidden, type FieldError } from '../shared/errors.ts';
import { blockList, receivedEvents, remoteFollowsOf, territoryFollowers, troubledDeliveries } from './adminLists.ts';
import { answerFollowRequest } from './answerFollowRequest.ts';
import { blockRemote } from './blockRemote.ts';
import type { FederationData, RezoFederation } from './fedify.ts';
import { followRemote, type RemoteFollowResult } from './followRemote.ts';
import { removeEventByOperator } from './removeEventByOperator.ts';
import { retryDelivery } from './retryDelivery.ts';
import { unblockRemote } from './unblockRemote.ts';
import { unfollowRemote } from './unfollowRemote.ts';
import { INSTANCE_ACTOR } from './urls.ts';

type Body = Record<string, unknown>;
const bodyOf = (request: FastifyRequest): Body => (request.body ?? {}) as Body;
const str = (value: unknown) => String(value ?? '').slice(0, 2048);
const KNOWN_TYPES = ['Group', 'Application', 'Service', 'Person', 'Organization'];

/** An actor's kind in words: a venue (Group), a node (Application, Service), a person. */
const typeLabel = (request: FastifyRequest, type: string) =>
  KNOWN_TYPES.includes(type) ? request.ctx.t(`federation.type.${type}`) : type;

/**
 * The federation's admin pages (docs/FEDERATION.md, "Built in session 7: admin pages and moderation"):
 * a venue's follows on other nodes (its admins), and for operators the territory's follows, the follow
 * requests of the instance actor, blocks, removal of received events, and deliveries in trouble.
 */
export async function federationAdminRoutes(
  app: ModuleApp,
  { info }: ModuleOptions,
  federation: RezoFederation,
  data: FederationData,
): Promise<void> {
  const { db, config } = data;
  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendHtml(reply, layout(request, info, { title, body }), status);
  const adminPlace = venueFor(db, 'place.settings');

  /** The follows of one local actor and the two-step follow form (find, then confirm). */
  async function followsSection(
    request: FastifyRequest,
    localActor: string,
    action: string,
    form: FormState,
    preview: RemoteFollowResult | null,
  ): Promise<Html> {
    const { t } = request.ctx;
    const follows = await remoteFollowsOf(db, localActor);
    const tags = (list: string[]) => list.map((tag) => `#${tag}`).join(' ');
    return html`${errorSummary(request, form)}
${
  follows.length
    ? html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('federation.admin.followed')}</th><th scope="col">${t('federation.admin.host')}</th><th scope="col">${t('federation.admin.state')}</th><th scope="col">${t('federation.admin.tags')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${follows.map(
        (
          f,
        ) => html`<tr><td>${f.name || f.handle || f.remoteActor} <span class="hint">(${typeLabel(request, f.type)})</span></td><td>${f.host}</td>
<td><strong class="badge badge-follow-${f.state}">${t(`federation.state.${f.state}`)}</strong></td>
<td>${f.includeTags.length ? html`${t('federation.admin.only')} ${tags(f.includeTags)}` : t('federation.admin.allTags')}${f.excludeTags.length ? html`<br>${t('federation.admin.except')} ${tags(f.excludeTags)}` : ''}</td>
<td><form method="post" action="${action}/unfollow" class="inline">${csrfField(request)}<input type="hidden" name="remoteActor" value="${f.remoteActor}"><button class="link" type="submit">${t('federation.admin.unfollow')}</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('federation.admin.noFollows')}</p>`
}
${
  preview
    ? html`<div class="notice" role="status"><h3>${t('federation.admin.found')}</h3>
<p><strong>${preview.actor.name || preview.actor.handle || preview.actor.id}</strong> — ${typeLabel(request, preview.actor.type)}, ${t('federation.admin.onHost', { host: preview.actor.host })}</p>
${preview.includeTags.length ? html`<p>${t('federation.admin.only')} ${tags(preview.includeTags)}</p>` : ''}${preview.excludeTags.length ? html`<p>${t('federation.admin.except')} ${tags(preview.excludeTags)}</p>` : ''}
<form method="post" action="${action}/follow" class="inline-form">${csrfField(request)}<input type="hidden" name="confirm" value="1"><input type="hidden" name="address" value="${preview.actor.id}"><input type="hidden" name="includeTags" value="${preview.includeTags.join(', ')}"><input type="hidden" name="excludeTags" value="${preview.excludeTags.join(', ')}">
<button type="submit">${t('federation.admin.confirm', { name: preview.actor.name || preview.actor.host })}</button> <a href="${action}">${t('federation.admin.cancel')}</a></form></div>`
    : ''
}
<h2>${t(localActor === INSTANCE_ACTOR ? 'federation.admin.followNode' : 'federation.admin.followVenue')}</h2>
<form method="post" action="${action}/follow" novalidate>${csrfField(request)}
${input(request, form, 'address', { label: t('labels.address'), hint: t('federation.admin.addressHint') })}
${input(request, form, 'includeTags', { label: t('agenda.field.includeTags'), hint: t('agenda.tagsHint') })}
${input(request, form, 'excludeTags', { label: t('labels.excludeTags'), hint: t('agenda.tagsHint') })}
<button type="submit">${t('federation.admin.find')}</button></form>`;
  }

  /** Runs the follow form: step one shows what was found, step two (confirm) follows and goes back to the list. */
  async function followForm(
    request: FastifyRequest,
    reply: FastifyReply,
    localActor: string,
    action: string,
    render: (section: Html) => Html,
    title: string,
  ) {
    const body = bodyOf(request);
    const confirm = body.confirm === '1';
    const values = {
      address: str(body.address),
      includeTags: str(body.includeTags),
      excludeTags: str(body.excludeTags),
    };
    return submitForm(reply, {
      run: () => followRemote(federation, data, actorOf(request), { localActor, ...values, confirm }),
      done: async (result) =>
        confirm
          ? reply.redirect(`${action}?notice=${result.state}`, 303)
          : page(
              request,
              reply,
              title,
              render(await followsSection(request, localActor, action, { values, errors: [] }, result)),
            ),
      invalid: async (errors: FieldError[]) =>
        page(
          request,
          reply,
          title,
          render(await followsSection(request, localActor, action, { values, errors }, null)),
          422,
        ),
    });
  }

  const notice = (request: FastifyRequest): Html | '' => {
    const n = (request.query as { notice?: string }).notice;
    return n === 'pending' || n === 'accepted'
      ? html`<p class="notice" role="status">${request.ctx.t(`federation.notice.${n}`)}</p>`
      : '';
  };

  // ---- A venue's follows on other nodes (its admins). ----
  const venueBase = (place: Place) => `/venues/${place.slug}/admin/federation`;
  const venuePage = (request: FastifyRequest, place: Place) => (section: Html) =>
    html`<section>${adminNav(request, place, 'events')}
<p class="subnav"><a href="/venues/${place.slug}/admin/events/follows">${request.ctx.t('federation.admin.localFollows')}</a></p>
<h2>${request.ctx.t('federation.admin.venueTitle')}</h2>
${notice(request)}
<p>${request.ctx.t('federation.admin.venueIntro')}</p>
${section}</section>`;

  app.get('/venues/:slug/admin/federation', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const section = await followsSection(request, place.id, venueBase(place), { values: {}, errors: [] }, null);
    return page(request, reply, place.name, venuePage(request, place)(section));
  });
  app.post('/venues/:slug/admin/federation/follow', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    return followForm(request, reply, place.id, venueBase(place), venuePage(request, place), place.name);
  });
  app.post('/venues/:slug/admin/federation/unfollow', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    await unfollowRemote(data, actorOf(request), {
      localActor: place.id,
      remoteActor: str(bodyOf(request).remoteActor),
    });
    return reply.redirect(venueBase(place), 303);
  });

  // ---- Operators: the territory. ----
  const operator = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!personOrLogin(request, reply)) return false;
    if (!request.ctx.person?.isOperator) throw forbidden();
    return true;
  };
  const BASE = '/admin/federation';
  const operatorNav = (request: FastifyRequest, current: 'follows' | 'moderation' | 'deliveries') => {
    const { t } = request.ctx;
    const link = (id: typeof current, href: string) =>
      html`<a href="${href}"${id === current ? html` aria-current="page"` : ''}>${t(`federation.nav.${id}`)}</a>`;
    return html`<p class="breadcrumb"><a href="/admin">${t('nodeAdmin.title')}</a></p>
<h1>${t('federation.admin.title')}</h1>
<p class="subnav">${link('follows', BASE)} · ${link('moderation', `${BASE}/moderation`)} · ${link('deliveries', `${BASE}/deliveries`)}</p>`;
  };
  const fmt = (request: FastifyRequest, date: Date) => formatDateTime(request.ctx.lang, date, config.timeZone);

  const territoryPage = (request: FastifyRequest, followers: Awaited<ReturnType<typeof territoryFollowers>>) =>
    function render(section: Html): Html {
      const { t } = request.ctx;
      const pending = followers.filter((f) => f.state === 'pending');
      const accepted = followers.filter((f) => f.state === 'accepted');
      const who = (f: (typeof followers)[number]) =>
        html`<td>${f.name || f.remoteActor} <span class="hint">(${typeLabel(request, f.type)})</span></td><td>${f.host}</td><td>${fmt(request, f.since)}</td>`;
      return html`<section>${operatorNav(request, 'follows')}
${notice(request)}
<h2>${t('federation.admin.requests', { count: pending.length })}</h2>
<p>${t('federation.admin.requestsIntro')}</p>
${
  pending.length
    ? html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('federation.admin.follower')}</th><th scope="col">${t('federation.admin.host')}</th><th scope="col">${t('federation.admin.since')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${pending.map(
        (f) =>
          html`<tr>${who(f)}<td><form method="post" action="${BASE}/requests" class="inline">${csrfField(request)}<input type="hidden" name="follower" value="${f.remoteActor}"><button type="submit" name="answer" value="accept">${t('federation.admin.accept')}</button> <button type="submit" name="answer" value="reject" class="secondary">${t('federation.admin.reject')}</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('federation.admin.noRequests')}</p>`
}
<h2>${t('federation.admin.territoryFollows')}</h2>
<p>${t('federation.admin.territoryIntro')}</p>
${section}
<h2>${t('federation.admin.followers', { count: accepted.length })}</h2>
${accepted.length ? html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('federation.admin.follower')}</th><th scope="col">${t('federation.admin.host')}</th><th scope="col">${t('federation.admin.since')}</th></tr></thead><tbody>${accepted.map((f) => html`<tr>${who(f)}</tr>`)}</tbody></table></div>` : html`<p>${t('federation.admin.noFollowers')}</p>`}
</section>`;
    };

  app.get(BASE, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    const section = await followsSection(request, INSTANCE_ACTOR, BASE, { values: {}, errors: [] }, null);
    const body = territoryPage(request, await territoryFollowers(db))(section);
    return page(request, reply, request.ctx.t('federation.admin.title'), body);
  });
  app.post(`${BASE}/follow`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    const render = territoryPage(request, await territoryFollowers(db));
    return followForm(request, reply, INSTANCE_ACTOR, BASE, render, request.ctx.t('federation.admin.title'));
  });
  app.post(`${BASE}/unfollow`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    await unfollowRemote(data, actorOf(request), {
      localActor: INSTANCE_ACTOR,
      remoteActor: str(bodyOf(request).remoteActor),
    });
    return reply.redirect(BASE, 303);
  });
  app.post(`${BASE}/requests`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    const body = bodyOf(request);
    await answerFollowRequest(data, actorOf(request), {
      follower: str(body.follower),
      accept: body.answer === 'accept',
    });
    return reply.redirect(BASE, 303);
  });

  // ---- Operators: moderation. ----
  async function moderationPage(request: FastifyRequest, form: FormState): Promise<Html> {
    const { t } = request.ctx;
    const [blocks, events] = await Promise.all([blockList(db), receivedEvents(db)]);
    return html`<section>${operatorNav(request, 'moderation')}
<h2>${t('federation.admin.blocks')}</h2>
<p>${t('federation.admin.blocksIntro')}</p>
${errorSummary(request, form)}
<form method="post" action="${BASE}/blocks" class="inline-form" novalidate>${csrfField(request)}
${input(request, form, 'target', { label: t('labels.target'), hint: t('federation.admin.targetHint') })}
<button type="submit">${t('federation.admin.block')}</button></form>
${
  blocks.length
    ? html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('federation.admin.blocked')}</th><th scope="col">${t('federation.admin.since')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${blocks.map(
        (b) =>
          html`<tr><td>${b.target} <span class="hint">(${t(`federation.blockKind.${b.kind}`)})</span></td><td>${fmt(request, b.createdAt)}</td><td><form method="post" action="${BASE}/unblock" class="inline">${csrfField(request)}<input type="hidden" name="target" value="${b.target}"><button class="link" type="submit">${t('federation.admin.unblock')}</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('federation.admin.noBlocks')}</p>`
}
<h2>${t('federation.admin.events')}</h2>
<p>${t('federation.admin.eventsIntro')}</p>
${
  events.length
    ? html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('federation.admin.event')}</th><th scope="col">${t('federation.admin.from')}</th><th scope="col">${t('federation.admin.when')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${events.map(
        (
          e,
        ) => html`<tr><td>${e.url ? html`<a href="${e.url}" rel="nofollow noopener">${e.name}</a>` : e.name}</td><td>${e.from} <span class="hint">(${e.host})</span></td><td>${e.startsAt ? fmt(request, e.startsAt) : ''}</td>
<td>${e.removed ? html`<strong class="badge badge-follow-rejected">${t('federation.admin.removed')}</strong>` : html`<form method="post" action="${BASE}/events/remove" class="inline">${csrfField(request)}<input type="hidden" name="eventId" value="${e.id}"><button class="link" type="submit">${t('federation.admin.remove')}</button></form>`}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('federation.admin.noEvents')}</p>`
}
</section>`;
  }

  app.get(`${BASE}/moderation`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    const body = await moderationPage(request, { values: {}, errors: [] });
    return page(request, reply, request.ctx.t('federation.admin.title'), body);
  });
  app.post(`${BASE}/blocks`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    const target = str(bodyOf(request).target);
    return submitForm(reply, {
      run: () => blockRemote(data, actorOf(request), { target }),
      done: () => `${BASE}/moderation`,
      invalid: async (errors) =>
        page(
          request,
          reply,
          request.ctx.t('federation.admin.title'),
          await moderationPage(request, { values: { target }, errors }),
          422,
        ),
    });
  });
  app.post(`${BASE}/unblock`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    await unblockRemote(db, actorOf(request), { target: str(bodyOf(request).target) });
    return reply.redirect(`${BASE}/moderation`, 303);
  });
  app.post(`${BASE}/events/remove`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    await removeEventByOperator(db, actorOf(request), { eventId: str(bodyOf(request).eventId) });
    return reply.redirect(`${BASE}/moderation`, 303);
  });

  // ---- Operators: deliveries in trouble. ----
  app.get(`${BASE}/deliveries`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    const { t } = request.ctx;
    const rows = await troubledDeliveries(db);
    const body = html`<section>${operatorNav(request, 'deliveries')}
<p>${t('federation.admin.deliveriesIntro')}</p>
${
  rows.length
    ? html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('federation.admin.host')}</th><th scope="col">${t('federation.admin.activity')}</th><th scope="col">${t('federation.admin.state')}</th><th scope="col">${t('federation.admin.attempts')}</th><th scope="col">${t('federation.admin.lastError')}</th><th scope="col">${t('federation.admin.nextAttempt')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${rows.map(
        (
          r,
        ) => html`<tr><td>${r.host}</td><td>${r.type}</td><td>${t(`federation.delivery.${r.state}`)}</td><td>${r.attempts}</td><td>${r.lastStatus ? `HTTP ${r.lastStatus}` : (r.lastError ?? '')}</td><td>${r.nextAttemptAt ? fmt(request, r.nextAttemptAt) : '—'}</td>
<td><form method="post" action="${BASE}/deliveries/retry" class="inline">${csrfField(request)}<input type="hidden" name="id" value="${r.id}"><button class="link" type="submit">${t('federation.admin.retry')}</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('federation.admin.noDeliveries')}</p>`
}
</section>`;
    return page(request, reply, t('federation.admin.title'), body);
  });
  app.post(`${BASE}/deliveries/retry`, async (request, reply) => {
    if (!operator(request, reply)) return reply;
    await retryDelivery(data, actorOf(request), { id: str(bodyOf(request).id) });
    return reply.redirect(`${BASE}/deliveries`, 303);
  });
}
