import type { FastifyReply, FastifyRequest } from 'fastify';
import { canTakePayments } from '../payments/index.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { submitForm } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, select, textarea, type FormState } from '../http/forms.ts';
import { pricesSection, priceFields, vatText } from './priceAdminPage.ts';
import { priceAdminRoutes, priceInputOf } from './priceAdminRoutes.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { authorize } from '../access/permissions.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { formatEuros } from '../shared/money.ts';
import { adminNav, getPlaceBySlug, vatDefaultsOf, type Place } from '../places/index.ts';
import { cancelEventOrders } from './cancelEventOrders.ts';
import { cancellationDeadlineOf, pricesForAdmin, venueEvent, waitingByDate } from './eventAdmin.ts';
import { creditOffer } from './creditRefund.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { attendeeList, exportEventCsv, salesReport } from './salesReport.ts';
import {
  answerText,
  deleteTicketQuestion,
  QUESTION_KINDS,
  questionsOf,
  saveTicketQuestion,
  type Question,
} from './questions.ts';
import { setCancellationPolicy } from './setCancellationPolicy.ts';
import { mayCollectOnSite, unpaidOnSiteOrders } from './onSiteOrders.ts';
import { onSiteSettingSection, unpaidOrdersSection } from './onSitePage.ts';
import { markedNotice } from './onSiteRoutes.ts';
import { onSitePaymentOf, setOnSitePayment } from './payOnSite.ts';
import { localeOf } from '../i18n/i18n.ts';

/** The ticketing page of an event for its venue team: prices, sales report, exports, cancellations. */
export async function ticketAdminRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, stripe } = deps;

  async function context(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ place: Place; event: { id: string; title: string; slug: string } } | null> {
    if (!personOrLogin(request, reply)) return null;
    const { slug, id } = request.params as { slug: string; id: string };
    if (!isUuid(id)) throw notFound('event');
    const place = await getPlaceBySlug(db, slug);
    await authorize(db, actorOf(request), place.id, 'events.write');
    const event = await venueEvent(db, place.id, id);
    if (!event) throw notFound('event');
    return { place, event };
  }

  /**
   * Payment on site on the event's ticketing page: the orders to collect (for who may mark them paid)
   * and the venue's setting (docs/TICKETING.md, "Paying on site").
   */
  async function onSiteAdmin(request: FastifyRequest, place: Place, eventId: string, base: string, form?: FormState) {
    const { t } = request.ctx;
    const actor = actorOf(request);
    const setting = await onSitePaymentOf(db, place.id);
    const orders = (await mayCollectOnSite(db, actor, place.id))
      ? await unpaidOnSiteOrders(db, actor, { placeId: place.id, eventId })
      : null;
    return {
      enabled: setting !== null,
      setting: onSiteSettingSection(request, `${base}/on-site`, setting, form),
      orders:
        orders && (setting || orders.length)
          ? html`<h2 id="on-site-orders">${t('onSite.open')}</h2>
${unpaidOrdersSection(request, place.slug, orders, { from: 'admin', eventId }, place.timezone)}`
          : '',
    };
  }

  /** One question, with its edit form folded (ids prefixed by the question so several forms coexist). */
  function questionItem(request: FastifyRequest, base: string, q: Question, state?: FormState): Html {
    const { t } = request.ctx;
    const v = state?.values ?? {};
    const errors = state?.errors ?? [];
    const id = (name: string) => `${name}-${q.id}`;
    const val = (name: string, fallback: string) => (typeof v[name] === 'string' ? (v[name] as string) : fallback);
    const err = (name: string) => errors.filter((e) => e.field === name);
    const wired = (name: string) =>
      err(name).length ? html` aria-invalid="true" aria-describedby="${id(name)}-error"` : '';
    const msg = (name: string) =>
      err(name).length
        ? html`<p class="error" id="${id(name)}-error">${err(name).map((e) => t(`fields.${e.message}`, e.params))}</p>`
        : '';
    const checked = (name: string, fallback: boolean) => (state ? v[name] === 'yes' : fallback);
    return html`<li class="card"><p><strong>${q.label}</strong> — ${t(`questions.kind.${q.kind}`)}${q.required ? html` · ${t('questions.required')}` : ''} · ${q.perTicket ? t('questions.perTicket') : t('questions.perOrder')}${q.choices.length ? html` · ${q.choices.join(' / ')}` : ''}</p>
<details${state ? html` open` : ''}><summary>${t('questions.edit')}</summary>
${errors.length ? html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: errors.length })}</p></div>` : ''}
<form method="post" action="${base}/questions/${q.id}" novalidate>${csrfField(request)}
<div class="field"><label for="${id('questionLabel')}">${t('labels.questionLabel')} <span aria-hidden="true">*</span></label><input id="${id('questionLabel')}" name="questionLabel" maxlength="200" value="${val('questionLabel', q.label)}"${wired('questionLabel')}>${msg('questionLabel')}</div>
<div class="row"><div class="field"><label for="${id('questionKind')}">${t('labels.questionKind')}</label><select id="${id('questionKind')}" name="questionKind"${wired('questionKind')}>${QUESTION_KINDS.map((k) => html`<option value="${k}"${k === val('questionKind', q.kind) ? html` selected` : ''}>${t(`questions.kind.${k}`)}</option>`)}</select>${msg('questionKind')}</div>
<div class="field"><label for="${id('questionPosition')}">${t('labels.questionPosition')}</label><input id="${id('questionPosition')}" name="questionPosition" inputmode="numeric" value="${val('questionPosition', String(q.position))}"${wired('questionPosition')}>${msg('questionPosition')}</div></div>
<div class="field"><label for="${id('questionChoices')}">${t('labels.questionChoices')}</label><p class="hint" id="${id('questionChoices')}-hint">${t('questions.choicesHint')}</p><textarea id="${id('questionChoices')}" name="questionChoices" rows="3"${wired('questionChoices')}>${val('questionChoices', q.choices.join('\n'))}</textarea>${msg('questionChoices')}</div>
<label class="check"><input type="checkbox" name="questionRequired" value="yes"${checked('questionRequired', q.required) ? html` checked` : ''}> ${t('labels.questionRequired')}</label>
<label class="check"><input type="checkbox" name="questionPerTicket" value="yes"${checked('questionPerTicket', q.perTicket) ? html` checked` : ''}> ${t('labels.questionPerTicket')}</label>
<button type="submit">${t('forms.save')}</button></form>
<form method="post" action="${base}/questions/${q.id}/delete">${csrfField(request)}<button type="submit" class="danger">${t('questions.delete')}</button></form>
</details></li>`;
  }

  async function ticketsPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    event: { id: string; title: string; slug: string },
    state: {
      price?: FormState;
      question?: FormState;
      onSite?: FormState;
      editing?: { id: string; form: FormState };
      notice?: string;
      alert?: string;
    } = {},
    status = 200,
  ) {
    // The venue may give the money back as credit in its own local euro (docs/PAYMENTS.md).
    const credit = await creditOffer(db, place.id);
    // Why buyers see only the free prices (docs/PAYMENTS.md, "Prices nobody can pay").
    const canPay = await canTakePayments(db, stripe, deps.config, place.id);
    const { t, lang } = request.ctx;
    const report = await salesReport(db, actorOf(request), { slug: place.slug, eventId: event.id });
    const policy = await cancellationDeadlineOf(db, place.id, event.id);
    const vat = await vatDefaultsOf(db, place.id);
    const prices = await pricesForAdmin(db, place.id, event.id);
    // A new price starts at the venue's default rate for show tickets (docs/TICKETING.md, "VAT").
    const form =
      state.price ?? emptyForm({ kind: 'fixed', perOrderLimit: '10', vatRate: vat ? vatText(vat.showBp, lang) : '' });
    const questionForm = state.question ?? emptyForm({ questionKind: 'text', questionPosition: '0' });
    const questions = await questionsOf(db, place.id, [event.id]);
    const waiting = await waitingByDate(db, place.id, event.id);
    const base = `/venues/${place.slug}/admin/events/${event.id}/tickets`;
    const onSite = await onSiteAdmin(request, place, event.id, base, state.onSite);
    const fmtDate = (d: Date, tz: string) =>
      new Intl.DateTimeFormat(localeOf(lang), {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: tz,
      }).format(d);
    const body = html`<section>
${adminNav(request, place, 'events')}
<p class="breadcrumb"><a href="/venues/${place.slug}/admin/events/${event.id}">${event.title}</a> · <a href="/events/${event.slug}">${t('ticketAdmin.publicPage')}</a> · <a href="/venues/${place.slug}/scan/${event.id}">${t('door.openScanner')}</a></p>
<h2>${t('ticketAdmin.title')}</h2>
${state.notice || markedNotice(request) ? html`<p class="notice" role="status">${state.notice || markedNotice(request)}</p>` : ''}
${state.alert ? html`<p class="alert" role="alert">${state.alert}</p>` : ''}
${canPay || onSite.enabled ? '' : html`<p class="alert" role="note">${t('ticketAdmin.paidNotOffered')}</p>`}
${onSite.orders}
${
  report.rows.length === 0
    ? html`<p>${t('ticketAdmin.noPrices')}</p>`
    : html`<div class="table-scroll"><table class="list"><caption>${t('ticketAdmin.report')}</caption>
<thead><tr><th scope="col">${t('labels.eventDateId')}</th><th scope="col">${t('ticketAdmin.price')}</th><th scope="col">${t('ticketAdmin.sold')}</th><th scope="col">${t('ticketAdmin.checkedIn')}</th><th scope="col">${t('ticketAdmin.remaining')}</th><th scope="col">${t('ticketAdmin.revenue')}</th></tr></thead>
<tbody>${report.rows.map((r) => html`<tr><td>${fmtDate(r.startsAt, r.timezone)}</td><td>${r.priceName}</td><td>${r.sold}</td><td>${r.checkedIn}</td><td>${r.remaining ?? '∞'}</td><td>${formatEuros(r.revenueCents, lang)}</td></tr>`)}</tbody>
</table></div>
${report.byMethod.length ? html`<p>${t('ticketAdmin.byMethod')} ${report.byMethod.map((m, i) => html`${i ? ' · ' : ''}${t(`ticketAdmin.method.${m.method}`)} : ${formatEuros(m.revenueCents, lang)} (${m.orders})`)}</p>` : ''}
<p><a class="button" href="${base}/orders.csv">${t('ticketAdmin.exportOrders')}</a> <a class="button" href="${base}/attendees.csv">${t('ticketAdmin.exportAttendees')}</a> <a class="button" href="${base}/attendees">${t('questions.attendees')}</a></p>`
}
${pricesSection(request, base, prices)}
${waiting.length ? html`<h2>${t('waitlist.adminTitle')}</h2><ul>${waiting.map((w) => html`<li>${t('waitlist.adminRow', { when: fmtDate(w.starts_at, w.timezone), waiting: Number(w.waiting), offered: Number(w.offered) })}</li>`)}</ul>` : ''}
${onSite.setting}
<h2 id="questions">${t('questions.title')}</h2>
<p class="hint">${t('questions.intro')}</p>
${questions.length ? html`<ul class="cards">${questions.map((q) => questionItem(request, base, q, state.editing?.id === q.id ? state.editing.form : undefined))}</ul>` : html`<p>${t('questions.none')}</p>`}
<h3>${t('questions.new')}</h3>
${errorSummary(request, questionForm)}
<form method="post" action="${base}/questions" novalidate>${csrfField(request)}
${input(request, questionForm, 'questionLabel', { required: true, attrs: html` maxlength="200"` })}
<div class="row">${select(
      request,
      questionForm,
      'questionKind',
      QUESTION_KINDS.map((k) => ({ value: k, label: t(`questions.kind.${k}`) })),
    )}
${input(request, questionForm, 'questionPosition', { attrs: html` inputmode="numeric"` })}</div>
${textarea(request, questionForm, 'questionChoices', { rows: 3 })}
<p class="hint">${t('questions.choicesHint')}</p>
<label class="check"><input type="checkbox" name="questionRequired" value="yes"${questionForm.values.questionRequired === 'yes' ? html` checked` : ''}> ${t('labels.questionRequired')}</label>
<label class="check"><input type="checkbox" name="questionPerTicket" value="yes"${questionForm.values.questionPerTicket === 'yes' ? html` checked` : ''}> ${t('labels.questionPerTicket')}</label>
<button type="submit">${t('questions.add')}</button></form>
<h2>${t('ticketAdmin.newPrice')}</h2>
${errorSummary(request, form)}
<form method="post" action="${base}/prices" novalidate>${csrfField(request)}
${priceFields(request, form, vat, place.city)}
<button type="submit">${t('ticketAdmin.createPrice')}</button></form>
<h2>${t('ticketAdmin.cancellation')}</h2>
<form method="post" action="${base}/policy" class="inline-form">${csrfField(request)}
<label for="hours">${t('ticketAdmin.deadlineHours')}</label> <input id="hours" name="hours" inputmode="numeric" size="5" value="${policy ? String(policy.holder_deadline_hours) : ''}"> <button type="submit">${t('forms.save')}</button></form>
<p class="hint">${t('ticketAdmin.deadlineHint')}</p>
<form method="post" action="${base}/cancel-all">${csrfField(request)}
${
  credit
    ? html`<fieldset><legend>${t('credit.choice.legend')}</legend>
<label class="check"><input type="radio" name="refundTo" value="payment" checked> ${t('credit.choice.payment')}</label>
<label class="check"><input type="radio" name="refundTo" value="credit"> ${t('credit.choice.credit', { currency: credit.code })}</label></fieldset>`
    : ''
}
<label class="check"><input type="checkbox" name="confirm" value="yes" required> ${t('ticketAdmin.cancelAllConfirm')}</label>
<button type="submit" class="danger">${t('ticketAdmin.cancelAll')}</button></form>
</section>`;
    return sendHtml(
      reply,
      layout(request, info, { title: `${t('ticketAdmin.title')} — ${event.title}`, body }),
      status,
    );
  }

  app.get('/venues/:slug/admin/events/:id/tickets', async (request, reply) => {
    const c = await context(request, reply);
    return c ? ticketsPage(request, reply, c.place, c.event) : reply;
  });

  app.post('/venues/:slug/admin/events/:id/tickets/prices', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const input = priceInputOf(b, c.place.timezone);
    return submitForm(reply, {
      run: () => createTicketPrice(db, actorOf(request), { slug: c.place.slug, eventId: c.event.id, ...input }),
      done: () => ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.priceCreated') }),
      invalid: (errors) => ticketsPage(request, reply, c.place, c.event, { price: { values: b, errors } }, 422),
    });
  });

  const questionInput = (b: Record<string, unknown>) => ({
    label: b.questionLabel,
    kind: b.questionKind,
    choices: b.questionChoices,
    required: b.questionRequired,
    perTicket: b.questionPerTicket,
    position: b.questionPosition,
  });

  app.post('/venues/:slug/admin/events/:id/tickets/questions', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    return submitForm(reply, {
      run: () =>
        saveTicketQuestion(db, actorOf(request), { slug: c.place.slug, eventId: c.event.id, ...questionInput(b) }),
      done: () => ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('questions.saved') }),
      invalid: (errors) => ticketsPage(request, reply, c.place, c.event, { question: { values: b, errors } }, 422),
    });
  });

  app.post('/venues/:slug/admin/events/:id/tickets/questions/:qid', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const { qid } = request.params as { qid: string };
    const question = { slug: c.place.slug, eventId: c.event.id, id: qid, ...questionInput(b) };
    return submitForm(reply, {
      run: () => saveTicketQuestion(db, actorOf(request), question),
      done: () => ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('questions.saved') }),
      invalid: (errors) =>
        ticketsPage(request, reply, c.place, c.event, { editing: { id: qid, form: { values: b, errors } } }, 422),
    });
  });

  app.post('/venues/:slug/admin/events/:id/tickets/questions/:qid/delete', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    await deleteTicketQuestion(db, actorOf(request), {
      slug: c.place.slug,
      eventId: c.event.id,
      id: (request.params as { qid: string }).qid,
    });
    return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('questions.deleted') });
  });

  // The attendee list with the answers to the checkout questions (the same as the CSV export).
  app.get('/venues/:slug/admin/events/:id/tickets/attendees', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const { t, lang } = request.ctx;
    const list = await attendeeList(db, actorOf(request), { slug: c.place.slug, eventId: c.event.id });
    const base = `/venues/${c.place.slug}/admin/events/${c.event.id}/tickets`;
    const fmt = (d: Date, tz: string) =>
      new Intl.DateTimeFormat(localeOf(lang), {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: tz,
      }).format(d);
    const body = html`<section>
${adminNav(request, c.place, 'events')}
<p class="breadcrumb"><a href="${base}">${t('ticketAdmin.title')} — ${c.event.title}</a></p>
<h2>${t('questions.attendees')}</h2>
${
  list.attendees.length === 0
    ? html`<p>${t('questions.noAttendees')}</p>`
    : html`<div class="table-scroll"><table class="list"><caption>${t('questions.attendeesCaption', { count: list.attendees.length })}</caption>
<thead><tr><th scope="col">${t('questions.holder')}</th><th scope="col">${t('labels.email')}</th><th scope="col">${t('questions.reference')}</th><th scope="col">${t('ticketAdmin.price')}</th><th scope="col">${t('labels.eventDateId')}</th><th scope="col">${t('questions.status')}</th>${list.columns.map((col) => html`<th scope="col">${col.label}</th>`)}</tr></thead>
<tbody>${list.attendees.map(
        (a) =>
          html`<tr><td>${a.holderName}</td><td>${a.email}</td><td>${a.reference}</td><td>${a.priceName}</td><td>${fmt(a.startsAt, a.timezone)}</td><td>${t(`orders.ticketStatus.${a.status}`)}</td>${list.columns.map(
            (col) => {
              const answer = a.answers.get(col.questionId);
              return html`<td>${answer ? answerText(t, answer) : ''}</td>`;
            },
          )}</tr>`,
      )}</tbody></table></div>`
}
<p><a class="button" href="${base}/attendees.csv">${t('ticketAdmin.exportAttendees')}</a></p>
</section>`;
    return sendHtml(reply, layout(request, info, { title: `${t('questions.attendees')} — ${c.event.title}`, body }));
  });

  app.post('/venues/:slug/admin/events/:id/tickets/on-site', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const raw = String(b.holdHours ?? '').trim();
    return submitForm(reply, {
      run: () =>
        setOnSitePayment(db, actorOf(request), {
          slug: c.place.slug,
          enabled: b.onSiteEnabled === 'yes',
          holdHours: raw === '' ? null : /^\d{1,4}$/.test(raw) ? Number(raw) : raw,
        }),
      done: () => ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('onSite.saved') }),
      invalid: (errors) => ticketsPage(request, reply, c.place, c.event, { onSite: { values: b, errors } }, 422),
    });
  });

  app.post('/venues/:slug/admin/events/:id/tickets/policy', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    const raw = String(((request.body ?? {}) as Record<string, unknown>).hours ?? '').trim();
    await setCancellationPolicy(db, actorOf(request), {
      slug: c.place.slug,
      eventId: c.event.id,
      holderDeadlineHours: raw === '' ? null : /^\d+$/.test(raw) ? Number(raw) : raw,
    });
    return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('forms.saved') });
  });

  app.post('/venues/:slug/admin/events/:id/tickets/cancel-all', async (request, reply) => {
    const c = await context(request, reply);
    if (!c) return reply;
    if (((request.body ?? {}) as Record<string, unknown>).confirm !== 'yes') {
      return ticketsPage(request, reply, c.place, c.event, { notice: request.ctx.t('ticketAdmin.confirmFirst') }, 422);
    }
    const r = await cancelEventOrders(db, stripe, actorOf(request), {
      slug: c.place.slug,
      eventId: c.event.id,
      refundTo: ((request.body ?? {}) as Record<string, unknown>).refundTo,
    });
    return ticketsPage(request, reply, c.place, c.event, {
      notice: request.ctx.t('ticketAdmin.cancelledAll', {
        cancelled: r.cancelled,
        failed: r.failed,
        refund: formatEuros(r.refundCents, request.ctx.lang),
      }),
    });
  });

  for (const kind of ['orders', 'attendees'] as const) {
    app.get(`/venues/:slug/admin/events/:id/tickets/${kind}.csv`, async (request, reply) => {
      const c = await context(request, reply);
      if (!c) return reply;
      const csv = await exportEventCsv(db, actorOf(request), { slug: c.place.slug, eventId: c.event.id, kind });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${c.event.slug}-${kind}.csv"`)
        .header('cache-control', 'no-store')
        .send('\uFEFF' + csv);
    });
  }

  priceAdminRoutes(app, { db, info, context, ticketsPage });
}
