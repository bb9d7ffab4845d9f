import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { adminNav } from '../places/index.ts';
import { listPlaces, type Place } from '../places/index.ts';
import { notFound, type FieldError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { agendaSettings } from './agendaSettings.ts';
import { listVenueEventsForAdmin } from './agendaQuery.ts';
import { cancelEvent } from './cancelEvent.ts';
import { createEvent } from './createEvent.ts';
import { deleteDraftEvent } from './deleteDraftEvent.ts';
import { duplicateEvent, type DuplicateShift } from './duplicateEvent.ts';
import { eventForm, eventFormValues, formFields, valuesAfterError } from './eventForm.ts';
import { findEvent, type AgendaEvent } from './events.ts';
import { followPlace } from './followPlace.ts';
import { followsOf } from './follows.ts';
import { followTag } from './followTag.ts';
import { postponeEvent } from './postponeEvent.ts';
import { previewRecurrence, type PreviewDate } from './previewRecurrence.ts';
import { recurrenceFromForm } from './recurrenceForm.ts';
import { publishEvent } from './publishEvent.ts';
import { reviewProposal } from './reviewProposal.ts';
import { setEventImage } from './setEventImage.ts';
import { unfollowPlace } from './unfollowPlace.ts';
import { unfollowTag } from './unfollowTag.ts';
import { updateAgendaSettings } from './updateAgendaSettings.ts';
import { updateEvent } from './updateEvent.ts';
import { agendaErrorSummary, agendaInput, fieldError, formatWhen, stateBadge } from './views.ts';
import type { EventState } from './tables.ts';

const STATES: readonly EventState[] = ['draft', 'published', 'cancelled', 'postponed'];

/** The venue admin pages of the agenda: events, proposals, follows and settings (editors and admins). */
export async function agendaAdminRoutes(app: ModuleApp, { deps, info, sections }: ModuleOptions) {
  const { config, db } = deps;
  // The event form's script (single dates or a rule) is on every page of the events' admin: it does nothing elsewhere.
  const head = html`<script type="module" src="/static/agenda/eventDates.js"></script>`;
  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendHtml(reply, layout(request, info, { title, body, head }), status);

  /** The venue of the URL if the person may edit its events (the use cases check again). */
  const editorPlace = venueFor(db, 'events.write');

  /** The event of the URL, only if it belongs to the venue of the URL. */
  async function placeEvent(place: Place, request: FastifyRequest): Promise<AgendaEvent> {
    const id = (request.params as { id: string }).id;
    const event = isUuid(id) ? await findEvent(db, id) : null;
    if (!event || event.placeId !== place.id) throw notFound('event');
    return event;
  }

  const base = (place: Place) => `/venues/${place.slug}/admin/events`;

  function subNav(request: FastifyRequest, place: Place, current: 'list' | 'new' | 'proposals' | 'follows'): Html {
    const { t } = request.ctx;
    const link = (id: typeof current, href: string) =>
      html`<a href="${href}"${id === current ? html` aria-current="page"` : ''}>${t(`agenda.admin.nav.${id}`)}</a>`;
    return html`<p class="subnav">${link('list', base(place))} · ${link('new', `${base(place)}/new`)} · ${link('proposals', `${base(place)}/proposals`)} · ${link('follows', `${base(place)}/follows`)}</p>`;
  }

  app.get('/venues/:slug/admin/events', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const { t, lang } = request.ctx;
    const query = request.query as { state?: string; q?: string; notice?: string };
    const state = STATES.includes(query.state as EventState) ? (query.state as EventState) : undefined;
    const q = (query.q ?? '').slice(0, 200);
    const events = await listVenueEventsForAdmin(db, place.id, {
      ...(state ? { state } : {}),
      ...(q ? { text: q } : {}),
    });
    const columns = sections.eventList;
    const dates = events.map((e) => ({ eventId: e.id, dateId: e.nextDateId }));
    const cells = await Promise.all(columns.map((c) => c.cells(request, db, place, dates)));
    const embed = `<iframe src="${config.baseUrl}/venues/${place.slug}/embed?count=5" title="${place.name}" width="100%" height="600" style="border:0" loading="lazy"></iframe>`;
    return page(
      request,
      reply,
      place.name,
      html`<section>
${adminNav(request, place, 'events')}
${subNav(request, place, 'list')}
${query.notice ? html`<p class="notice" role="status">${t(`agenda.admin.notice.${query.notice.replace(/[^a-z-]/g, '')}`)}</p>` : ''}
<form method="get" action="${base(place)}" class="inline-form" role="search">
<label for="state">${t('agenda.field.state')}</label> <select id="state" name="state"><option value="">${t('agenda.admin.allStates')}</option>${STATES.map(
        (s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${t(`agenda.state.${s}`)}</option>`,
      )}</select>
<label for="q">${t('agenda.filter.text')}</label> <input id="q" name="q" type="search" value="${q}">
<button type="submit">${t('agenda.filter.submit')}</button>
</form>
${
  events.length === 0
    ? html`<p>${t('agenda.empty')}</p>`
    : html`<div class="table-scroll"><table class="list">
<thead><tr><th scope="col">${t('agenda.field.title')}</th><th scope="col">${t('agenda.admin.nextDate')}</th>${columns.map((c) => html`<th scope="col">${c.heading(request)}</th>`)}<th scope="col">${t('agenda.admin.firstDate')}</th><th scope="col">${t('agenda.field.state')}</th><th scope="col">${t('agenda.field.visibility')}</th></tr></thead>
<tbody>${events.map((e) => html`<tr data-event="${e.id}"><td><a href="${base(place)}/${e.id}">${e.title}</a></td><td>${e.nextStartsAt ? formatWhen(lang, e.nextStartsAt, null, place.timezone) : ''}</td>${cells.map((m) => html`<td>${m.get(e.id) ?? ''}</td>`)}<td>${e.firstStartsAt ? formatWhen(lang, e.firstStartsAt, null, place.timezone) : ''}${e.dateCount > 1 ? html` (+${e.dateCount - 1})` : ''}</td><td>${t(`agenda.state.${e.state}`)}</td><td>${t(`agenda.visibility.${e.visibility}`)}</td></tr>`)}</tbody>
</table></div>`
}
<h2>${t('agenda.admin.embedTitle')}</h2>
<p class="hint" id="embed-hint">${t('agenda.admin.embedHint')}</p>
<textarea class="mono" rows="3" readonly aria-describedby="embed-hint" aria-label="${t('agenda.admin.embedTitle')}">${embed}</textarea>
</section>`,
    );
  });

  const newPage = (
    request: FastifyRequest,
    place: Place,
    values: Record<string, unknown>,
    errors: FieldError[],
    preview: PreviewDate[] | null = null,
  ) => html`<section>
${adminNav(request, place, 'events')}
${subNav(request, place, 'new')}
<h2>${request.ctx.t('agenda.admin.newTitle')}</h2>
${eventForm(request, { action: `${base(place)}/new`, values, errors, timezone: place.timezone, csrf: csrfField(request), preview })}
</section>`;

  /**
   * "Aperçu" (intent=preview): the rule's dates shown in the form again, nothing written; a bad rule
   * gives the form with its field messages (422), as saving would.
   */
  function showPreview(
    request: FastifyRequest,
    reply: FastifyReply,
    o: { place: Place; event: AgendaEvent | null; body: Record<string, unknown> },
    render: (values: Record<string, unknown>, errors: FieldError[], preview: PreviewDate[] | null) => Html,
  ) {
    const recurrence = recurrenceFromForm(o.body);
    const title = o.event?.title ?? o.place.name;
    return submitForm(reply, {
      run: async () =>
        recurrence ? previewRecurrence(db, { event: o.event, recurrence, timezone: o.place.timezone }) : null,
      done: (preview) => page(request, reply, title, render(valuesAfterError(o.body), [], preview)),
      invalid: (errors) => page(request, reply, title, render(valuesAfterError(o.body), errors, null), 422),
    });
  }

  app.get('/venues/:slug/admin/events/new', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    return page(request, reply, place.name, newPage(request, place, { timezone: [place.timezone] }, []));
  });

  app.post('/venues/:slug/admin/events/new', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.intent === 'preview')
      return showPreview(request, reply, { place, event: null, body }, (values, errors, preview) =>
        newPage(request, place, values, errors, preview),
      );
    return submitForm(reply, {
      run: () => createEvent(db, actorOf(request), { ...formFields(body), placeId: place.id }),
      done: (event) => `${base(place)}/${event.id}?notice=created`,
      invalid: (errors) =>
        page(request, reply, place.name, newPage(request, place, valuesAfterError(body), errors), 422),
    });
  });

  function editPage(
    request: FastifyRequest,
    place: Place,
    event: AgendaEvent,
    values: Record<string, unknown>,
    errors: FieldError[],
    notice?: string,
    preview: PreviewDate[] | null = null,
  ): Html {
    const { t } = request.ctx;
    const url = `${base(place)}/${event.id}`;
    const action = (name: string, label: string, extra: Html | '' = '') =>
      html`<form method="post" action="${url}/${name}" class="inline-form">${csrfField(request)}${extra}<button type="submit">${label}</button></form>`;
    const canPublish =
      (event.state === 'draft' || event.state === 'cancelled') &&
      event.proposalState !== 'pending' &&
      event.proposalState !== 'rejected';
    return html`<section>
${adminNav(request, place, 'events')}
${subNav(request, place, 'list')}
${notice ? html`<p class="notice" role="status">${t(`agenda.admin.notice.${notice.replace(/[^a-z-]/g, '')}`)}</p>` : ''}
<h2>${event.title} ${stateBadge(t, event.state)}</h2>
<p><a href="/events/${event.slug}">${t('agenda.admin.viewPage')}</a> · <a href="${url}/tickets">${t('ticketAdmin.title')}</a> · ${t(`agenda.visibility.${event.visibility}`)}</p>
<div class="actions">
${canPublish ? action('publish', t('agenda.admin.publish')) : ''}
${event.state === 'published' || event.state === 'postponed' ? action('cancel', t('agenda.admin.cancel')) : ''}
${event.state === 'draft' && !event.publishedAt ? action('delete', t('agenda.admin.delete')) : ''}
${event.proposalState === 'pending' ? html`${action('review', t('agenda.admin.approve'), html`<input type="hidden" name="decision" value="approve">`)}${action('review', t('agenda.admin.reject'), html`<input type="hidden" name="decision" value="reject">`)}` : ''}
</div>
<h3>${t('agenda.admin.duplicate')}</h3>
<form method="post" action="${url}/duplicate" class="inline-form">${csrfField(request)}
<label for="shift">${t('agenda.admin.shift')}</label> <select id="shift" name="shift">${(['day', 'week', 'month', 'date'] as const).map((s) => html`<option value="${s}">${t(`agenda.admin.shift.${s}`)}</option>`)}</select>
<label for="date">${t('agenda.field.date')}</label> <input id="date" name="date" type="date"${errors.some((e) => e.field === 'date') ? html` aria-invalid="true" aria-describedby="date-error"` : ''}>
${fieldError(request, errors, 'date')}
<button type="submit">${t('agenda.admin.duplicateSubmit')}</button></form>
${
  event.state === 'published' || event.state === 'postponed'
    ? html`<h3>${t('agenda.admin.postpone')}</h3>
<form method="post" action="${url}/postpone" class="inline-form" novalidate>${csrfField(request)}
${agendaInput(request, errors, 'startsAt', '', { type: 'datetime-local', required: true })}
<button type="submit">${t('agenda.admin.postponeSubmit')}</button></form>`
    : ''
}
<h3>${t('agenda.field.image')}</h3>
${event.imageListMediaId ? html`<img src="/media/${event.imageListMediaId}" alt="" height="120">` : ''}
<form method="post" action="${url}/image" enctype="multipart/form-data" class="upload">${csrfField(request)}
<div class="field"><label for="image">${t('agenda.field.image')}</label>
<input id="image" name="image" type="file" accept="image/png,image/jpeg,image/webp,image/gif"${errors.some((e) => e.field === 'image') ? html` aria-invalid="true" aria-describedby="image-error"` : ''}>
${fieldError(request, errors, 'image')}</div>
<button type="submit">${t('agenda.admin.upload')}</button></form>
<h3>${t('agenda.admin.editTitle')}</h3>
${eventForm(request, { action: url, values, errors: errors.filter((e) => !['image', 'date', 'startsAt'].includes(e.field)), timezone: place.timezone, csrf: csrfField(request), preview })}
</section>`;
  }

  app.get('/venues/:slug/admin/events/:id', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const event = await placeEvent(place, request);
    const values = eventFormValues(event);
    // A recurring event shows its rule's dates, and flags the sold ones the rule no longer has.
    const preview = event.recurrence
      ? await previewRecurrence(db, { event, recurrence: recurrenceFromForm(values)!, timezone: place.timezone })
      : null;
    const notice = (request.query as { notice?: string }).notice;
    return page(request, reply, event.title, editPage(request, place, event, values, [], notice, preview));
  });

  app.post('/venues/:slug/admin/events/:id', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const event = await placeEvent(place, request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.intent === 'preview')
      return showPreview(request, reply, { place, event, body }, (values, errors, preview) =>
        editPage(request, place, event, values, errors, undefined, preview),
      );
    return submitForm(reply, {
      run: () => updateEvent(db, actorOf(request), { ...formFields(body), eventId: event.id }),
      done: () => `${base(place)}/${event.id}?notice=saved`,
      invalid: (errors) =>
        page(request, reply, event.title, editPage(request, place, event, valuesAfterError(body), errors), 422),
    });
  });

  /** The actions: each a use case, then back to the event (or its copy) with a notice. */
  async function act(
    request: FastifyRequest,
    reply: FastifyReply,
    run: (place: Place, event: AgendaEvent, body: Record<string, unknown>) => Promise<{ to?: string; notice: string }>,
  ) {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const event = await placeEvent(place, request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    return submitForm(reply, {
      run: () => run(place, event, body),
      done: ({ to, notice }) => `${to ?? `${base(place)}/${event.id}`}?notice=${notice}`,
      invalid: (errors) =>
        page(request, reply, event.title, editPage(request, place, event, eventFormValues(event), errors), 422),
    });
  }

  app.post('/venues/:slug/admin/events/:id/publish', (request, reply) =>
    act(
      request,
      reply,
      async (_p, e) => (await publishEvent(db, actorOf(request), { eventId: e.id }), { notice: 'published' }),
    ),
  );
  app.post('/venues/:slug/admin/events/:id/cancel', (request, reply) =>
    act(
      request,
      reply,
      async (_p, e) => (await cancelEvent(db, actorOf(request), { eventId: e.id }), { notice: 'cancelled' }),
    ),
  );
  app.post('/venues/:slug/admin/events/:id/delete', (request, reply) =>
    act(
      request,
      reply,
      async (p, e) => (
        await deleteDraftEvent(db, actorOf(request), { eventId: e.id }),
        { to: base(p), notice: 'deleted' }
      ),
    ),
  );
  app.post('/venues/:slug/admin/events/:id/postpone', (request, reply) =>
    act(
      request,
      reply,
      async (_p, e, body) => (
        await postponeEvent(db, actorOf(request), { eventId: e.id, startsAt: body.startsAt }),
        { notice: 'postponed' }
      ),
    ),
  );
  app.post('/venues/:slug/admin/events/:id/review', (request, reply) =>
    act(
      request,
      reply,
      async (_p, e, body) => (
        await reviewProposal(db, actorOf(request), { eventId: e.id, decision: body.decision }),
        { notice: 'reviewed' }
      ),
    ),
  );
  app.post('/venues/:slug/admin/events/:id/duplicate', (request, reply) =>
    act(request, reply, async (p, e, body) => {
      const shift: DuplicateShift =
        body.shift === 'date' ? { date: String(body.date ?? '') } : (String(body.shift) as DuplicateShift);
      const copy = await duplicateEvent(db, actorOf(request), { eventId: e.id, shift });
      return { to: `${base(p)}/${copy.id}`, notice: 'duplicated' };
    }),
  );

  // A file over the upload limit is stopped by the parser: say so beside the file field.
  async function imageTooLarge(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (error.code !== 'FST_REQ_FILE_TOO_LARGE') throw error;
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const event = await placeEvent(place, request);
    const errors = [
      { field: 'image', message: 'file-too-large', params: { max: Math.round(config.uploadLimitBytes / 1024) } },
    ];
    return page(request, reply, event.title, editPage(request, place, event, eventFormValues(event), errors), 422);
  }
  app.post('/venues/:slug/admin/events/:id/image', { errorHandler: imageTooLarge }, (request, reply) =>
    act(request, reply, async (_p, e, body) => {
      const bytes = body.image instanceof Uint8Array ? body.image : new Uint8Array();
      await setEventImage(db, actorOf(request), { eventId: e.id, bytes, maxBytes: config.uploadLimitBytes });
      return { notice: 'image' };
    }),
  );

  app.get('/venues/:slug/admin/events/proposals', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const { t, lang } = request.ctx;
    const [pending, settings] = await Promise.all([
      listVenueEventsForAdmin(db, place.id, { proposals: true }),
      agendaSettings(db, place.id),
    ]);
    return page(
      request,
      reply,
      place.name,
      html`<section>
${adminNav(request, place, 'events')}
${subNav(request, place, 'proposals')}
<form method="post" action="${base(place)}/settings" class="inline-form">${csrfField(request)}
<label class="check"><input type="checkbox" name="acceptsProposals" value="on"${settings.acceptsProposals ? html` checked` : ''}> ${t('agenda.field.acceptsProposals')}</label>
<button type="submit">${t('forms.save')}</button></form>
${pending.length === 0 ? html`<p>${t('agenda.admin.noProposals')}</p>` : html`<ul>${pending.map((e) => html`<li><a href="${base(place)}/${e.id}">${e.title}</a> ${e.firstStartsAt ? formatWhen(lang, e.firstStartsAt, null, place.timezone) : ''}</li>`)}</ul>`}
</section>`,
    );
  });

  app.post('/venues/:slug/admin/events/settings', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    await updateAgendaSettings(db, actorOf(request), {
      placeId: place.id,
      acceptsProposals: body.acceptsProposals === 'on',
    });
    return reply.redirect(`${base(place)}/proposals`, 303);
  });

  async function followsPage(request: FastifyRequest, place: Place, errors: FieldError[] = []): Promise<Html> {
    const { t } = request.ctx;
    const [{ venues: follows, tags }, places] = await Promise.all([followsOf(db, place.id), listPlaces(db)]);
    return html`<section>
${adminNav(request, place, 'events')}
${subNav(request, place, 'follows')}
${agendaErrorSummary(request, errors)}
<p>${t('agenda.admin.followsIntro')}</p>
<p><a href="/venues/${place.slug}/admin/federation">${t('federation.admin.remoteFollows')}</a></p>
<h2>${t('agenda.admin.followedVenues')}</h2>
${
  follows.length
    ? html`<ul>${follows.map(
        (f) => html`<li><a href="/venues/${f.slug}">${f.name}</a>
${f.includeTags.length ? html` · ${t('agenda.field.includeTags')} : ${f.includeTags.join(', ')}` : ''}${f.excludeTags.length ? html` · ${t('agenda.field.excludeTags')} : ${f.excludeTags.join(', ')}` : ''}
<form method="post" action="${base(place)}/follows/unfollow" class="inline">${csrfField(request)}<input type="hidden" name="followedPlaceId" value="${f.id}"><button class="link" type="submit">${t('agenda.admin.unfollow')}</button></form></li>`,
      )}</ul>`
    : html`<p>${t('agenda.admin.noFollows')}</p>`
}
<form method="post" action="${base(place)}/follows" novalidate>${csrfField(request)}
<div class="field"><label for="followedPlaceId">${t('agenda.field.followedPlaceId')}</label><select id="followedPlaceId" name="followedPlaceId">${places.filter((p) => p.id !== place.id).map((p) => html`<option value="${p.id}">${p.name}</option>`)}</select>${fieldError(request, errors, 'followedPlaceId')}</div>
${agendaInput(request, errors, 'includeTags', '', { hint: t('agenda.tagsHint') })}
${agendaInput(request, errors, 'excludeTags', '', { hint: t('agenda.tagsHint') })}
<button type="submit">${t('agenda.admin.follow')}</button></form>
<h2>${t('agenda.admin.followedTags')}</h2>
${tags.length ? html`<ul>${tags.map((tag) => html`<li>#${tag} <form method="post" action="${base(place)}/follows/untag" class="inline">${csrfField(request)}<input type="hidden" name="tag" value="${tag}"><button class="link" type="submit">${t('agenda.admin.unfollow')}</button></form></li>`)}</ul>` : ''}
<form method="post" action="${base(place)}/follows/tag" class="inline-form" novalidate>${csrfField(request)}
${agendaInput(request, errors, 'tag', '')}
<button type="submit">${t('agenda.admin.followTag')}</button></form>
</section>`;
  }

  app.get('/venues/:slug/admin/events/follows', async (request, reply) => {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    return page(request, reply, place.name, await followsPage(request, place));
  });

  /** Follow forms: run the use case, back to the page, or the page again with the errors. */
  async function followAction(
    request: FastifyRequest,
    reply: FastifyReply,
    run: (place: Place, body: Record<string, unknown>) => Promise<unknown>,
  ) {
    const place = await editorPlace(request, reply);
    if (!place) return reply;
    return submitForm(reply, {
      run: () => run(place, (request.body ?? {}) as Record<string, unknown>),
      done: () => `${base(place)}/follows`,
      invalid: async (errors) => page(request, reply, place.name, await followsPage(request, place, errors), 422),
    });
  }
  app.post('/venues/:slug/admin/events/follows', (request, reply) =>
    followAction(request, reply, (place, body) =>
      followPlace(db, actorOf(request), {
        placeId: place.id,
        followedPlaceId: String(body.followedPlaceId ?? ''),
        includeTags: body.includeTags,
        excludeTags: body.excludeTags,
      }),
    ),
  );
  app.post('/venues/:slug/admin/events/follows/unfollow', (request, reply) =>
    followAction(request, reply, (place, body) =>
      unfollowPlace(db, actorOf(request), { placeId: place.id, followedPlaceId: String(body.followedPlaceId ?? '') }),
    ),
  );
  app.post('/venues/:slug/admin/events/follows/tag', (request, reply) =>
    followAction(request, reply, (place, body) =>
      followTag(db, actorOf(request), { placeId: place.id, tag: body.tag }),
    ),
  );
  app.post('/venues/:slug/admin/events/follows/untag', (request, reply) =>
    followAction(request, reply, (place, body) =>
      unfollowTag(db, actorOf(request), { placeId: place.id, tag: String(body.tag ?? '') }),
    ),
  );
}
