import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { personOrLogin } from '../http/context.ts';
import { csrfField } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { DomainError, notFound, type FieldError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { formatEuros } from '../shared/money.ts';
import { payOrder } from './payOrder.ts';
import { answersFromForm, formFieldOf, questionFields, questionsOf } from './questions.ts';
import {
  claimOffer,
  confirmWaitingEntry,
  declineOffer,
  entryByToken,
  joinWaitingList,
  leaveWaitingList,
  MAX_WAIT_QUANTITY,
  offerByToken,
  waitingEntriesOf,
} from './waitingList.ts';
import { localeOf, type Language } from '../i18n/i18n.ts';

const when = (lang: Language, at: Date, timezone: string) =>
  new Intl.DateTimeFormat(localeOf(lang), {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: timezone,
  }).format(at);

/** Routes of the ticketing waiting list: join, confirm or leave (mail or account), take or decline an offer. */
export async function waitingListRoutes(app: ModuleApp, { deps, info }: ModuleOptions): Promise<void> {
  const { config, db, stripe } = deps;

  async function joinContext(eventId: string, dateId: unknown, priceId: unknown) {
    if (
      !isUuid(eventId) ||
      typeof dateId !== 'string' ||
      !isUuid(dateId) ||
      typeof priceId !== 'string' ||
      !isUuid(priceId)
    )
      throw notFound('date');
    const row = await db
      .selectFrom('event_dates as d')
      .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
      .innerJoin('ticket_prices as p', (j) =>
        j.onRef('p.place_id', '=', 'd.place_id').onRef('p.event_id', '=', 'd.event_id'),
      )
      .select([
        'e.id',
        'e.slug',
        'e.title',
        'e.state',
        'e.visibility',
        'd.id as date_id',
        'd.starts_at',
        'd.timezone',
        'p.id as price_id',
        'p.name as price_name',
        'p.per_order_limit',
      ])
      .where('e.id', '=', eventId)
      .where('d.id', '=', dateId)
      .where('p.id', '=', priceId)
      .executeTakeFirst();
    if (!row || row.state !== 'published' || row.visibility === 'private') throw notFound('date');
    return row;
  }

  function joinPage(
    request: FastifyRequest,
    reply: FastifyReply,
    c: Awaited<ReturnType<typeof joinContext>>,
    state: { values?: Record<string, unknown>; errors?: FieldError[]; problem?: string },
    status = 200,
  ) {
    const { t, lang, person } = request.ctx;
    const errors = state.errors ?? [];
    const v = state.values ?? {};
    const err = (field: string) =>
      errors
        .filter((e) => e.field === field)
        .map((e) => t(`fields.${e.message}`, e.params))
        .join(' ');
    const max = Math.min(c.per_order_limit, MAX_WAIT_QUANTITY);
    const quantity = typeof v.quantity === 'string' ? v.quantity : '1';
    const email = typeof v.email === 'string' ? v.email : '';
    const body = html`<section class="narrow">
<p class="breadcrumb"><a href="/events/${c.slug}">${c.title}</a></p>
<h1>${t('waitlist.joinTitle')}</h1>
<p>${t('waitlist.joinIntro', { event: c.title, when: when(lang, c.starts_at, c.timezone), price: c.price_name })}</p>
${state.problem ? html`<p class="alert" role="alert">${state.problem}</p>` : ''}
${errors.length ? html`<div class="alert" role="alert"><ul>${errors.map((e) => html`<li><a href="#wait-${e.field}">${t(`labels.${e.field}`)}</a> : ${t(`fields.${e.message}`, e.params)}</li>`)}</ul></div>` : ''}
<form method="post" action="/events/${c.id}/waitlist" novalidate>${csrfField(request)}
<input type="hidden" name="date" value="${c.date_id}"><input type="hidden" name="price" value="${c.price_id}">
<div class="field"><label for="wait-quantity">${t('labels.quantity')}</label>
<select id="wait-quantity" name="quantity"${err('quantity') ? html` aria-invalid="true" aria-describedby="wait-quantity-error"` : ''}>${Array.from({ length: max }, (_, i) => html`<option value="${i + 1}"${String(i + 1) === quantity ? html` selected` : ''}>${i + 1}</option>`)}</select>
${err('quantity') ? html`<p class="error" id="wait-quantity-error">${err('quantity')}</p>` : ''}</div>
${
  person
    ? html`<p>${t('waitlist.asPerson', { email: person.email })}</p>`
    : html`<div class="field"><label for="wait-email">${t('labels.email')} <span aria-hidden="true">*</span></label>
<input id="wait-email" name="email" type="email" autocomplete="email" required value="${email}"${err('email') ? html` aria-invalid="true" aria-describedby="wait-email-error"` : ''}>
${err('email') ? html`<p class="error" id="wait-email-error">${err('email')}</p>` : html`<p class="hint">${t('waitlist.emailHint')}</p>`}</div>`
}
<button type="submit">${t('waitlist.join')}</button>
</form></section>`;
    return sendHtml(reply, layout(request, info, { title: t('waitlist.joinTitle'), body }), status);
  }

  app.get('/events/:id/waitlist', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const c = await joinContext((request.params as { id: string }).id, q.date, q.price);
    return joinPage(request, reply, c, {});
  });

  app.post('/events/:id/waitlist', async (request, reply) => {
    const { t } = request.ctx;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const c = await joinContext((request.params as { id: string }).id, b.date, b.price);
    const actor = request.ctx.actor?.kind === 'person' ? request.ctx.actor : null;
    try {
      const joined = await joinWaitingList(db, config, actor, {
        eventId: c.id,
        dateId: c.date_id,
        priceId: c.price_id,
        quantity: b.quantity,
        email: b.email,
        language: request.ctx.lang,
      });
      const text =
        joined.status === 'waiting'
          ? t('waitlist.joined')
          : t('waitlist.checkMail', {
              email: String(b.email ?? '')
                .trim()
                .toLowerCase(),
            });
      const body = html`<section class="narrow"><p class="breadcrumb"><a href="/events/${c.slug}">${c.title}</a></p><h1>${t('waitlist.joinTitle')}</h1><p role="status">${text}</p>${actor ? html`<p><a href="/waitlist">${t('waitlist.mine')}</a></p>` : ''}</section>`;
      return sendHtml(reply, layout(request, info, { title: t('waitlist.joinTitle'), body }));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.fields.length > 0) return joinPage(request, reply, c, { values: b, errors: error.fields }, 422);
      if (error.status < 500 && error.status !== 404)
        return joinPage(
          request,
          reply,
          c,
          { values: b, problem: t(`problems.${error.code}.detail`, error.params) },
          error.status,
        );
      throw error;
    }
  });

  app.post(
    '/api/v1/events/:id/waitlist',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Join the waiting list of a sold-out date (at one of its prices)',
        description:
          'Logged in (session): waiting at once. Otherwise give `email`: the entry waits once the link mailed to it is opened. Once per address and date; when places free up, the next person in order is mailed a link to a checkout holding them.',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object(
          {
            dateId: Type.String({ format: 'uuid' }),
            priceId: Type.String({ format: 'uuid' }),
            quantity: Type.Integer({ minimum: 1, maximum: MAX_WAIT_QUANTITY }),
            email: Type.Optional(Type.String({ maxLength: 254 })),
          },
          { additionalProperties: false },
        ),
        response: responses(
          { 201: Type.Object({ status: Type.Union([Type.Literal('waiting'), Type.Literal('unconfirmed')]) }) },
          [404, 409, 422],
        ),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const actor = request.ctx.actor?.kind === 'person' ? request.ctx.actor : null;
      const joined = await joinWaitingList(db, config, actor, {
        eventId: request.params.id,
        dateId: b.dateId,
        priceId: b.priceId,
        quantity: b.quantity,
        email: b.email,
        language: request.ctx.lang,
      });
      return reply.status(201).send({ status: joined.status });
    },
  );

  // The mailed link opens a page with buttons: a GET never changes anything (mail scanners open links).
  async function entryPage(request: FastifyRequest, reply: FastifyReply, token: string, notice?: string) {
    const { t, lang } = request.ctx;
    const e = await entryByToken(db, token);
    const live = e.status === 'unconfirmed' || e.status === 'waiting' || e.status === 'offered';
    const body = html`<section class="narrow">
<h1>${t('waitlist.entryTitle')}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>${t('waitlist.entryFor', { event: e.title, when: when(lang, e.starts_at, e.timezone), price: e.price_name, quantity: e.quantity })}</p>
<p>${t(`waitlist.status.${e.status}`)}</p>
${e.status === 'unconfirmed' ? html`<form method="post" action="/waitlist/entries/${token}/confirm">${csrfField(request)}<button type="submit" autofocus>${t('waitlist.confirm')}</button></form>` : ''}
${live ? html`<form method="post" action="/waitlist/entries/${token}/leave">${csrfField(request)}<button type="submit" class="secondary">${t('waitlist.leave')}</button></form>` : ''}
<p><a href="/events/${e.slug}">${e.title}</a></p></section>`;
    return sendHtml(reply, layout(request, info, { title: t('waitlist.entryTitle'), body }));
  }

  app.get('/waitlist/entries/:token', async (request, reply) =>
    entryPage(request, reply, (request.params as { token: string }).token),
  );

  app.post('/waitlist/entries/:token/confirm', async (request, reply) => {
    const { token } = request.params as { token: string };
    await confirmWaitingEntry(db, token);
    return entryPage(request, reply, token, request.ctx.t('waitlist.confirmed'));
  });

  app.post('/waitlist/entries/:token/leave', async (request, reply) => {
    const { token } = request.params as { token: string };
    await leaveWaitingList(db, { token });
    return entryPage(request, reply, token, request.ctx.t('waitlist.left'));
  });

  // The person's entries (by account or address), to leave them.
  async function minePage(request: FastifyRequest, reply: FastifyReply, notice?: string) {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    const { t, lang } = request.ctx;
    const entries = await waitingEntriesOf(db, person);
    const body = html`<section>
<h1>${t('waitlist.mine')}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${
  entries.length === 0
    ? html`<p>${t('waitlist.none')}</p>`
    : html`<ul class="cards">${entries.map(
        (
          e,
        ) => html`<li class="card"><h2><a href="/events/${e.slug}">${e.title}</a></h2><p>${when(lang, e.starts_at, e.timezone)} · ${e.price_name} · ${t('waitlist.places', { count: e.quantity })}</p><p>${t(`waitlist.status.${e.status}`)}</p>
<form method="post" action="/waitlist/${e.id}/leave">${csrfField(request)}<button type="submit" class="secondary">${t('waitlist.leave')}</button></form></li>`,
      )}</ul>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('waitlist.mine'), body }));
  }

  app.get('/waitlist', async (request, reply) => minePage(request, reply));

  app.post('/waitlist/:id/leave', async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    await leaveWaitingList(db, { personId: person.id, entryId: (request.params as { id: string }).id });
    return minePage(request, reply, request.ctx.t('waitlist.left'));
  });

  // An offer: the checkout of the seats held for the person (holder details and questions, then payment).
  async function offerPage(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    state: { values?: Record<string, unknown>; errors?: FieldError[]; problem?: string } = {},
    status = 200,
  ) {
    const { t, lang } = request.ctx;
    const o = await offerByToken(db, token);
    const open = o.status === 'offered' && o.order_status === 'pending' && o.expires_at > new Date();
    const questions = await questionsOf(db, o.place_id, [o.event_id]);
    const label = `${o.price_name}, ${when(lang, o.starts_at, o.timezone)}`;
    const places = Array.from({ length: o.quantity }, (_, index) => ({ index, eventId: o.event_id, label }));
    const values = state.values ?? { name: o.name };
    const errors = state.errors ?? [];
    const nameError = errors.find((e) => e.field === 'name');
    let form: Html | '' = '';
    if (open) {
      form = html`<form method="post" action="/waitlist/offers/${token}" novalidate>${csrfField(request)}
<div class="field"><label for="offer-name">${t('labels.name')}</label><input id="offer-name" name="name" autocomplete="name" maxlength="100" value="${typeof values.name === 'string' ? values.name : ''}"${nameError ? html` aria-invalid="true" aria-describedby="offer-name-error"` : ''}>
${nameError ? html`<p class="error" id="offer-name-error">${t(`fields.${nameError.message}`, nameError.params)}</p>` : ''}</div>
${questionFields(request, questions, places, values, errors)}
<button type="submit">${o.total_cents > 0 ? t('waitlist.offerPay', { total: formatEuros(o.total_cents, lang) }) : t('waitlist.offerBook')}</button></form>
<form method="post" action="/waitlist/offers/${token}/decline">${csrfField(request)}<button type="submit" class="secondary">${t('waitlist.decline')}</button></form>`;
    }
    const body = html`<section class="narrow">
<h1>${t('waitlist.offerTitle')}</h1>
${state.problem ? html`<p class="alert" role="alert">${state.problem}</p>` : ''}
${errors.length ? html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: errors.length })}</p><ul>${errors.map((e) => html`<li><a href="#${formFieldOf(e.field).replace(/\./g, '-')}">${t(`fields.${e.message}`, e.params)}</a></li>`)}</ul></div>` : ''}
<p>${t('waitlist.offerFor', { event: o.title, when: when(lang, o.starts_at, o.timezone), price: o.price_name, quantity: o.quantity, email: o.email })}</p>
${
  open
    ? html`<p>${t('waitlist.offerUntil', { time: new Intl.DateTimeFormat(localeOf(lang), { timeStyle: 'short', dateStyle: 'medium', timeZone: o.timezone }).format(o.expires_at) })}</p>${form}`
    : o.order_status === 'paid'
      ? html`<p><a href="/orders/${o.order_id}">${t('waitlist.offerTaken')}</a></p>`
      : html`<p>${t('problems.waitlist-offer-ended.detail')}</p>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('waitlist.offerTitle'), body }), status);
  }

  app.get('/waitlist/offers/:token', async (request, reply) =>
    offerPage(request, reply, (request.params as { token: string }).token),
  );

  app.post('/waitlist/offers/:token', async (request, reply) => {
    const { token } = request.params as { token: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      const claimed = await claimOffer(db, config, token, { name: body.name, answers: answersFromForm(body) });
      if (!claimed.pay) return reply.redirect(`/orders/${claimed.orderId}`, 303);
      const { url } = await payOrder(db, stripe, config, null, claimed.orderId);
      return reply.redirect(url, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.fields.length > 0) return offerPage(request, reply, token, { values: body, errors: error.fields }, 422);
      if (error.status < 500 && error.code !== 'waitlist-link-invalid')
        return offerPage(
          request,
          reply,
          token,
          { values: body, problem: request.ctx.t(`problems.${error.code}.detail`, error.params) },
          error.status,
        );
      throw error;
    }
  });

  app.post('/waitlist/offers/:token/decline', async (request, reply) => {
    const { token } = request.params as { token: string };
    await declineOffer(db, token);
    const { t } = request.ctx;
    const body = html`<section class="narrow"><h1>${t('waitlist.offerTitle')}</h1><p role="status">${t('waitlist.declined')}</p></section>`;
    return sendHtml(reply, layout(request, info, { title: t('waitlist.offerTitle'), body }));
  });
}
