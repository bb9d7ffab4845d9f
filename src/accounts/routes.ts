import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { cookieOptions, actorOf, personOrLogin } from '../http/context.ts';
import { submitForm } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, select, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { renderSections } from '../http/sections.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { DomainError } from '../shared/errors.ts';
import { placesOfPerson } from '../places/index.ts';
import { consumeLoginLink } from './consumeLoginLink.ts';
import { requestLoginLink, safeNextPath } from './requestLoginLink.ts';
import { endOtherSessions } from './endOtherSessions.ts';
import { endSession, otherSessionCount, SESSION_COOKIE } from './sessions.ts';
import { updateProfile } from './updateProfile.ts';

/** Login by e-mailed link, logout, "my account" page, and the API's /me. */
export async function accountRoutes(app: ModuleApp, { deps, info, sections }: ModuleOptions) {
  const { config, db } = deps;
  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: ReturnType<typeof html>,
    status = 200,
  ) => sendHtml(reply, layout(request, info, { title, body }), status);

  // Per address: at most 5 links in 15 minutes (in requestLoginLink, shared by all node processes).
  // Per client address: this limiter, so one client cannot spray many addresses.
  const loginRateLimit = { rateLimit: { max: 20, timeWindow: '15 minutes' } };

  function loginForm(request: FastifyRequest, form: FormState) {
    const { t } = request.ctx;
    return html`<section class="narrow">
<h1>${t('login.title')}</h1>
<p>${t('login.intro')}</p>
${errorSummary(request, form)}
<form method="post" action="/login" novalidate>
${csrfField(request)}
<input type="hidden" name="next" value="${String(form.values.next ?? '')}">
${input(request, form, 'email', { type: 'email', required: true, attrs: html` autocomplete="email"` })}
<button type="submit">${t('login.submit')}</button>
</form>
</section>`;
  }

  app.get('/login', async (request, reply) => {
    const next = safeNextPath((request.query as { next?: string }).next);
    return page(request, reply, request.ctx.t('login.title'), loginForm(request, emptyForm({ next: next ?? '' })));
  });

  app.post('/login', { config: loginRateLimit }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const { t } = request.ctx;
    const nextPath = typeof body.next === 'string' ? body.next : undefined;
    return submitForm(reply, {
      run: () =>
        requestLoginLink(db, config, { email: body.email, nextPath, language: request.ctx.lang, ip: request.ip }),
      done: ({ email }) =>
        page(
          request,
          reply,
          t('login.sentTitle'),
          html`<section class="narrow"><h1>${t('login.sentTitle')}</h1><p>${t('login.sent', { email, minutes: config.loginTokenTtlMinutes })}</p>
${info.devMail ? html`<p class="hint">${t('login.devHint')} <a href="/dev/mail">/dev/mail</a></p>` : ''}</section>`,
        ),
      invalid: (errors) => page(request, reply, t('login.title'), loginForm(request, { values: body, errors }), 422),
    });
  });

  // The link in the mail opens a page with one button: a GET never logs in, because mail scanners
  // and link previews fetch URLs and would spend the single-use token.
  app.get('/login/:token', async (request, reply) => {
    const { token } = request.params as { token: string };
    const { t } = request.ctx;
    return page(
      request,
      reply,
      t('login.confirmTitle'),
      html`<section class="narrow"><h1>${t('login.confirmTitle')}</h1><p>${t('login.confirmIntro')}</p>
<form method="post" action="/login/${token}">${csrfField(request)}<button type="submit" autofocus>${t('login.confirm')}</button></form></section>`,
    );
  });

  app.post('/login/:token', async (request, reply) => {
    const { token } = request.params as { token: string };
    try {
      const result = await consumeLoginLink(db, config, { token, language: request.ctx.lang });
      reply.setCookie(SESSION_COOKIE, result.sessionToken, cookieOptions(config, config.sessionTtlDays * 86400));
      // The intent first: a person who came to join or to buy goes back there, even on their first login.
      const next = result.nextPath ?? (result.created && !result.person.name ? '/account?welcome=1' : '/account');
      return reply.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof DomainError) || !error.code.startsWith('login-link')) throw error;
      const { t } = request.ctx;
      return page(
        request,
        reply,
        t(`problems.${error.code}.title`),
        html`<section class="narrow" role="alert"><h1>${t(`problems.${error.code}.title`)}</h1><p>${t(`problems.${error.code}.detail`)}</p>
<p><a class="button" href="/login">${t('login.again')}</a></p></section>`,
        400,
      );
    }
  });

  app.post('/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await endSession(db, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/', 303);
  });

  /**
   * Logged in elsewhere too (another browser, a device): the account page, where a login lands, says
   * so and offers to end those sessions.
   */
  async function otherSessions(request: FastifyRequest): Promise<Html | ''> {
    const { t, person } = request.ctx;
    const token = request.cookies[SESSION_COOKIE];
    if (!person || !token) return '';
    const ended = (request.query as { sessionsEnded?: string }).sessionsEnded === '1';
    if (ended) return html`<p class="notice" role="status">${t('account.otherSessionsEnded')}</p>`;
    const count = await otherSessionCount(db, person.id, token);
    if (count === 0) return '';
    return html`<div class="notice" role="status"><p>${t('account.otherSessions', { count })}</p>
<form method="post" action="/account/sessions/end-others">${csrfField(request)}<button type="submit">${t('account.endOtherSessions')}</button></form></div>`;
  }

  function accountPage(
    request: FastifyRequest,
    form: FormState,
    memberships: Awaited<ReturnType<typeof placesOfPerson>>,
    myMemberships: Html,
    saved = false,
    sessions: Html | '' = '',
  ) {
    const { t, person } = request.ctx;
    const welcome = (request.query as { welcome?: string }).welcome === '1';
    return html`<section>
<h1>${t('account.title')}</h1>
${welcome ? html`<p class="notice" role="status">${t('account.welcome')}</p>` : ''}
${saved ? html`<p class="notice" role="status">${t('forms.saved')}</p>` : ''}
${sessions}
<p>${t('account.email')} <strong>${person!.email}</strong></p>
${errorSummary(request, form)}
<form method="post" action="/account" novalidate>
${csrfField(request)}
${input(request, form, 'name', { required: true, attrs: html` autocomplete="name"` })}
${select(request, form, 'language', [
  { value: 'fr', label: 'Français' },
  { value: 'en', label: 'English' },
])}
<button type="submit">${t('forms.save')}</button>
</form>
<h2>${t('account.places')}</h2>
${
  memberships.length === 0
    ? html`<p>${t('account.noPlaces')}</p>`
    : html`<ul class="cards">${memberships.map(
        ({ place, role }) => html`<li><a href="/venues/${place.slug}">${place.name}</a> — ${t(`roles.${role}`)}
${role === 'admin' ? html` · <a href="/venues/${place.slug}/admin/dashboard">${t('account.manage')}</a>` : ''}</li>`,
      )}</ul>`
}
<p><a class="button" href="/venues/new">${t('places.create')}</a></p>
<p><a href="/account/cards">${t('cards.mine')}</a></p>
<p><a href="/waitlist">${t('waitlist.mine')}</a></p>
${myMemberships}
</section>`;
  }

  app.get('/account', async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    const memberships = await placesOfPerson(db, person.id);
    const form = emptyForm({ name: person.name, language: person.language });
    const saved = (request.query as { saved?: string }).saved === '1';
    return page(
      request,
      reply,
      request.ctx.t('account.title'),
      accountPage(
        request,
        form,
        memberships,
        await renderSections(sections.account, (section) => section.render(request, db, person)),
        saved,
        await otherSessions(request),
      ),
    );
  });

  app.post('/account/sessions/end-others', async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    await endOtherSessions(db, actorOf(request), { currentToken: request.cookies[SESSION_COOKIE]! });
    return reply.redirect('/account?sessionsEnded=1', 303);
  });

  app.post('/account', async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      const updated = await updateProfile(db, actorOf(request), { name: body.name, language: body.language });
      request.ctx.person = updated;
      return reply.redirect(`/account?lang=${updated.language}&saved=1`, 303);
    } catch (error) {
      if (!(error instanceof DomainError) || error.fields.length === 0) throw error;
      const memberships = await placesOfPerson(db, person.id);
      return page(
        request,
        reply,
        request.ctx.t('account.title'),
        accountPage(
          request,
          { values: body, errors: error.fields },
          memberships,
          await renderSections(sections.account, (section) => section.render(request, db, person)),
        ),
        422,
      );
    }
  });

  const Me = Type.Object({
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    language: Type.Union([Type.Literal('fr'), Type.Literal('en')]),
    isOperator: Type.Boolean(),
    places: Type.Array(Type.Object({ slug: Type.String(), name: Type.String(), role: Type.String() })),
  });

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['accounts'],
        summary: 'The logged-in person and their roles',
        security: [{ session: [] }],
        response: responses({ 200: Me }),
      },
    },
    async (request) => {
      const person = request.ctx.person;
      if (!person) throw new DomainError('unauthenticated', 401);
      const places = await placesOfPerson(db, person.id);
      return { ...person, places: places.map((p) => ({ slug: p.place.slug, name: p.place.name, role: p.role })) };
    },
  );

  app.post(
    '/api/v1/login-links',
    {
      config: loginRateLimit,
      schema: {
        tags: ['accounts'],
        summary: 'Mail a login link to an address',
        description:
          'Always answers 202, whether or not the address has an account. Needs the CSRF token (x-csrf-token) of the page.',
        body: Type.Object(
          { email: Type.String({ maxLength: 254 }), next: Type.Optional(Type.String({ maxLength: 500 })) },
          { additionalProperties: false },
        ),
        response: responses({ 202: Type.Object({ status: Type.Literal('sent') }) }, [400, 403, 422, 429]),
      },
    },
    async (request, reply) => {
      await requestLoginLink(db, config, {
        email: request.body.email,
        nextPath: request.body.next,
        language: request.ctx.lang,
        ip: request.ip,
      });
      return reply.status(202).send({ status: 'sent' as const });
    },
  );
}
