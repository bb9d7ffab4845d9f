import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses, Uuid, DateTime } from '../http/schemas.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { formatEuros, MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { adminNav, getPlaceBySlug, type Place } from '../places/index.ts';
import { businessDayAt, businessDayBounds, isCalendarDay, tillDayOf, type TillDay } from './closureDay.ts';
import { closureReport } from './closureReport.ts';
import { closeDay } from './closeDay.ts';
import { closureCsv, journalDayCsv } from './closureCsv.ts';
import { findClosure, listClosures, openDays, type Closure } from './closures.ts';
import { verifyClosure, type ClosureVerification } from './verifyClosure.ts';
import { reportStyle, reportTables } from './closureReportView.ts';
import { localeOf } from '../i18n/i18n.ts';

// --- API schemas ---
const Money = Type.Integer({ description: 'Signed minor units (euro cents)' });
const TotalsSchema = Type.Object({
  version: Type.Integer(),
  lineCount: Type.Integer(),
  salesCount: Type.Integer(),
  reversals: Type.Object({ count: Type.Integer(), amountCents: Money }),
  itemsTotalCents: Money,
  paymentsTotalCents: Money,
  expectedCashCents: Money,
  payments: Type.Array(
    Type.Object({
      method: Type.String(),
      currency: Type.Union([Type.String(), Type.Null()]),
      count: Type.Integer(),
      amountCents: Money,
    }),
  ),
  articles: Type.Array(
    Type.Object({
      articleId: Uuid,
      name: Type.String(),
      kind: Type.String(),
      category: Type.Union([Type.String(), Type.Null()]),
      quantity: Type.Integer(),
      amountCents: Money,
    }),
  ),
  categories: Type.Array(
    Type.Object({ category: Type.Union([Type.String(), Type.Null()]), quantity: Type.Integer(), amountCents: Money }),
  ),
  kinds: Type.Array(Type.Object({ kind: Type.String(), quantity: Type.Integer(), amountCents: Money })),
  movements: Type.Array(
    Type.Object({
      kind: Type.String(),
      method: Type.String(),
      sales: Type.Integer(),
      quantity: Type.Integer(),
      amountCents: Money,
    }),
  ),
  late: Type.Optional(
    Type.Object(
      {
        count: Type.Integer(),
        amountCents: Money,
        days: Type.Array(
          Type.Object({ soldOn: Type.String({ format: 'date' }), count: Type.Integer(), amountCents: Money }),
        ),
      },
      { description: 'Sales queued offline whose own day was closed, booked on this day; absent when none' },
    ),
  ),
  vat: Type.Array(
    Type.Object({
      rate: Type.Integer({ description: 'basis points' }),
      grossCents: Money,
      vatCents: Money,
      netCents: Money,
    }),
  ),
});
const ClosureSchema = Type.Object({
  id: Uuid,
  pointId: Uuid,
  pointName: Type.String(),
  businessDay: Type.String({ format: 'date' }),
  journalHeadPosition: Type.Integer(),
  journalHeadHash: Type.String(),
  firstPosition: Type.Union([Type.Integer(), Type.Null()]),
  lastPosition: Type.Union([Type.Integer(), Type.Null()]),
  lineCount: Type.Integer(),
  totals: TotalsSchema,
  totalsSha256: Type.String(),
  openingFloatCents: Money,
  expectedCashCents: Money,
  countedCashCents: Money,
  differenceCents: Money,
  note: Type.String(),
  closedBy: Type.Union([Uuid, Type.Null()]),
  closedByApiKey: Type.Union([Uuid, Type.Null()]),
  closedAt: DateTime,
  signature: Type.String({
    description: 'Ed25519 (base64url) by the node key (GET /api/v1/ledger/key) over the message of docs/CLOSURES.md',
  }),
  messageVersion: Type.Integer(),
});
const present = (c: Closure) => ({
  id: c.id,
  pointId: c.pointId,
  pointName: c.pointName,
  businessDay: c.businessDay,
  journalHeadPosition: c.journalHeadPosition,
  journalHeadHash: c.journalHeadHash,
  firstPosition: c.firstPosition,
  lastPosition: c.lastPosition,
  lineCount: c.lineCount,
  totals: c.totals,
  totalsSha256: c.totalsSha256,
  openingFloatCents: c.openingFloatCents,
  expectedCashCents: c.expectedCashCents,
  countedCashCents: c.countedCashCents,
  differenceCents: c.differenceCents,
  note: c.note,
  closedBy: c.closedBy,
  closedByApiKey: c.closedByApiKey,
  closedAt: c.closedAt.toISOString(),
  signature: c.signature,
  messageVersion: c.messageVersion,
});
const Params = Type.Object({ slug: Type.String({ maxLength: 60 }) });
const security: Record<string, string[]>[] = [{ apiKey: [] }, { session: [] }];

/** Z reports of the till: list and close form, printable report, CSV exports, and the JSON API. */
export async function closureRoutes(app: ModuleApp, { deps, info }: ModuleOptions): Promise<void> {
  const { db } = deps;

  const placeFor = venueFor(db, 'till');

  const base = (place: Place) => `/venues/${place.slug}/admin/till/closures`;
  const problemsText = (v: ClosureVerification) => v.problems.join(', ');
  // A person without a name yet shows as a dash; a closure made through the API names the key's kind.
  const who = (request: FastifyRequest, c: Closure) =>
    c.closedBy ? c.closedByName || '—' : request.ctx.t('closures.report.apiKey');

  async function listPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    failed?: { key: string; form: FormState },
    status = 200,
  ) {
    const { t, lang } = request.ctx;
    const day = await tillDayOf(db, place.id);
    const today = businessDayAt(new Date(), day);
    const [open, closures] = await Promise.all([
      openDays(db, place.id, today),
      listClosures(db, place.id, { limit: 100 }),
    ]);
    const reports = await Promise.all(open.map((o) => closureReport(db, place.id, o.pointId, o.businessDay)));
    const eur = (c: number) => formatEuros(c, lang);
    const fmtDay = (d: string) =>
      new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'full', timeZone: 'UTC' }).format(
        new Date(`${d}T12:00:00Z`),
      );
    const closeForm = (o: (typeof open)[number], i: number) => {
      const key = `${o.pointId}|${o.businessDay}`;
      const form = failed?.key === key ? failed.form : null;
      const err = (field: string) => form?.errors.filter((e) => e.field === field) ?? [];
      const field = (name: 'countedCash' | 'openingFloat' | 'note', attrs: Html) => {
        const errs = err(name);
        const id = `${name}-${i}`;
        const value = form?.values[name];
        return html`<div class="field"><label for="${id}">${t(`labels.${name}`)}${name === 'countedCash' ? html` <span aria-hidden="true">*</span>` : ''}</label>
<input id="${id}" name="${name}" value="${typeof value === 'string' ? value : ''}"${attrs}${errs.length ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
${errs.length ? html`<p class="error" id="${id}-error">${errs.map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</div>`;
      };
      const other =
        form?.errors.filter((e) => e.field !== 'countedCash' && e.field !== 'openingFloat' && e.field !== 'note') ?? [];
      return html`<form method="post" action="${base(place)}" novalidate>${csrfField(request)}
<input type="hidden" name="pointId" value="${o.pointId}"><input type="hidden" name="businessDay" value="${o.businessDay}">
${form ? html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: form.errors.length })}</p>${other.length ? html`<ul>${other.map((e) => html`<li>${t('closures.fieldError', { label: t(`labels.${e.field}`), message: t(`fields.${e.message}`, e.params) })}</li>`)}</ul>` : ''}</div>` : ''}
<div class="row">${field('countedCash', html` inputmode="decimal" autocomplete="off" required`)}${field('openingFloat', html` inputmode="decimal" autocomplete="off" placeholder="0"`)}${field('note', html` maxlength="500"`)}</div>
<button type="submit">${t('closures.close')}</button></form>`;
    };
    const body = html`<section>
${adminNav(request, place, 'closures')}
<p>${t('closures.intro')}</p>
<p class="hint">${t('closures.dayStartsAt', { time: day.dayStartsAt.slice(0, 5), timezone: day.timezone })}</p>
${
  failed && !open.some((o) => `${o.pointId}|${o.businessDay}` === failed.key)
    ? html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: failed.form.errors.length })}</p><ul>${failed.form.errors.map((e) => html`<li>${t('closures.fieldError', { label: t(`labels.${e.field}`), message: t(`fields.${e.message}`, e.params) })}</li>`)}</ul></div>`
    : ''
}
<h2>${t('closures.openDays')}</h2>
${open.length === 0 ? html`<p>${t('closures.noOpenDays')}</p>` : html`<p class="hint">${t('closures.closeHint')}</p>`}
${open.map((o, i) => {
  const r = reports[i]!.totals;
  return html`<article class="card" aria-labelledby="open-${i}">
<h3 id="open-${i}">${o.pointName} — ${fmtDay(o.businessDay)}${o.businessDay === today ? html` (${t('closures.running')})` : ''}</h3>
<p>${t('closures.runningSummary', { sales: r.salesCount, total: eur(r.itemsTotalCents), cash: eur(r.expectedCashCents) })}
${(r.late?.days ?? []).map((d) => html`<br><strong>${t('closures.late', { day: d.soldOn })}</strong> — ${d.count} · ${eur(d.amountCents)}`)}
· <a href="${base(place)}/x?point=${o.pointId}&amp;day=${o.businessDay}">${t('closures.x.link')}</a>
· <a href="/venues/${place.slug}/admin/till/journal.csv?day=${o.businessDay}&amp;point=${o.pointId}">${t('closures.journalCsv')}</a></p>
${closeForm(o, i)}
</article>`;
})}
<h2>${t('closures.closedList')}</h2>
${
  closures.length === 0
    ? html`<p>${t('closures.none')}</p>`
    : html`<div class="table-scroll"><table class="list"><caption class="visually-hidden">${t('closures.closedList')}</caption>
<thead><tr><th scope="col">${t('closures.col.day')}</th><th scope="col">${t('closures.col.point')}</th><th scope="col">${t('closures.col.sales')}</th><th scope="col">${t('closures.col.total')}</th><th scope="col">${t('closures.col.expected')}</th><th scope="col">${t('closures.col.counted')}</th><th scope="col">${t('closures.col.difference')}</th><th scope="col">${t('closures.col.closedBy')}</th><th scope="col">${t('closures.col.actions')}</th></tr></thead>
<tbody>${closures.map(
        (
          c,
        ) => html`<tr><td>${c.businessDay}</td><td>${c.pointName}</td><td>${c.totals.salesCount}</td><td>${eur(c.totals.itemsTotalCents)}</td><td>${eur(c.openingFloatCents + c.expectedCashCents)}</td><td>${eur(c.countedCashCents)}</td><td>${eur(c.differenceCents)}</td><td>${who(request, c)}</td>
<td><a href="${base(place)}/${c.id}">${t('closures.view')}</a> · <a href="${base(place)}/${c.id}/report.csv">CSV</a></td></tr>`,
      )}</tbody></table></div>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: `${t('closures.title')} — ${place.name}`, body }), status);
  }

  function reportPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    c: Closure,
    day: TillDay,
    verification: ClosureVerification,
    receipt: boolean,
  ) {
    const { t, lang } = request.ctx;
    const locale = localeOf(lang);
    const when = (d: Date) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short', timeZone: day.timezone }).format(d);
    const bounds = businessDayBounds(c.businessDay, day);
    const style = reportStyle(request, receipt);
    const url = `${base(place)}/${c.id}`;
    const body = html`<section class="zreport${receipt ? ' receipt' : ''}">
<p class="breadcrumb no-print"><a href="${base(place)}">${t('closures.back')}</a></p>
<h1>${t('closures.report.title', { point: c.pointName, day: c.businessDay })}</h1>
<p>${place.name}<br>${t('closures.report.period', { from: when(bounds.from), to: when(bounds.to) })}<br>
${t('closures.report.closedBy', { name: who(request, c), at: when(c.closedAt) })}</p>
<p role="status" class="${verification.ok ? 'notice' : 'alert'}">${verification.ok ? t('closures.verified') : t('closures.notVerified', { problems: problemsText(verification) })}</p>
<p class="no-print"><button type="button" data-print>${t('closures.print')}</button><script src="/static/print.js" defer></script>
<a href="${url}"${receipt ? '' : html` aria-current="page"`}>${t('closures.formatA4')}</a> · <a href="${url}?format=receipt"${receipt ? html` aria-current="page"` : ''}>${t('closures.formatReceipt')}</a>
· <a href="${url}/report.csv">${t('closures.csv')}</a> · <a href="/venues/${place.slug}/admin/till/journal.csv?day=${c.businessDay}&amp;point=${c.pointId}">${t('closures.journalCsv')}</a></p>
${reportTables(request, c.totals, c)}
${c.note ? html`<p><strong>${t('closures.report.note')}</strong> ${c.note}</p>` : ''}
<h2>${t('closures.report.journal')}</h2>
<p>${c.firstPosition === null ? t('closures.report.noLines', { head: c.journalHeadPosition }) : t('closures.report.positions', { first: c.firstPosition, last: c.lastPosition ?? '', count: c.lineCount, head: c.journalHeadPosition })}</p>
<p>${t('closures.report.signature')} :</p><p class="mono sig">${c.signature}</p>
<p class="mono sig">sha256 ${c.totalsSha256}</p>
</section>`;
    return sendHtml(
      reply,
      layout(request, info, {
        title: t('closures.report.title', { point: c.pointName, day: c.businessDay }),
        body,
        head: style,
      }),
    );
  }

  app.get('/venues/:slug/admin/till/closures', async (request, reply) => {
    const place = await placeFor(request, reply);
    return place ? listPage(request, reply, place) : reply;
  });

  app.post('/venues/:slug/admin/till/closures', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const key = `${str(b.pointId)}|${str(b.businessDay)}`;
    const raw = str(b.countedCash).trim();
    const cents = raw === '' ? undefined : parseEuros(raw);
    const rawFloat = str(b.openingFloat).trim();
    const floatCents = rawFloat === '' ? 0 : parseEuros(rawFloat);
    const unreadable = [
      ...(cents === null ? [{ field: 'countedCash', message: 'closures.euros' }] : []),
      ...(floatCents === null ? [{ field: 'openingFloat', message: 'closures.euros' }] : []),
    ];
    if (unreadable.length > 0)
      return listPage(request, reply, place, { key, form: { values: b, errors: unreadable } }, 422);
    // A Z is final: the form first shows what will be recorded and asks again (the JSON API is one step).
    if (b.confirm !== 'yes' && cents !== undefined && cents !== null) {
      const open = await openDayOf(place, str(b.pointId), str(b.businessDay));
      if (open)
        return confirmPage(request, reply, place, open, { cents, floatCents: floatCents ?? 0, note: str(b.note) });
    }
    const input = { pointId: b.pointId, businessDay: b.businessDay, countedCashCents: cents, note: str(b.note) };
    return submitForm(reply, {
      run: () => closeDay(db, actorOf(request), { placeId: place.id, ...input, openingFloatCents: floatCents }),
      done: (closure) => `${base(place)}/${closure.id}`,
      invalid: (fields) => {
        const formField: Record<string, string> = {
          countedCashCents: 'countedCash',
          openingFloatCents: 'openingFloat',
        };
        const errors = fields.map((f) => (formField[f.field] ? { ...f, field: formField[f.field]! } : f));
        return listPage(request, reply, place, { key, form: { values: b, errors } }, 422);
      },
    });
  });

  /** The point and business day if they are open (not closed yet) at this venue, with the day's totals so far. */
  async function openDayOf(place: Place, pointId: string, businessDay: string) {
    if (!isUuid(pointId) || !isCalendarDay(businessDay)) return null;
    const day = await tillDayOf(db, place.id);
    const open = (await openDays(db, place.id, businessDayAt(new Date(), day))).find(
      (o) => o.pointId === pointId && o.businessDay === businessDay,
    );
    if (!open) return null;
    return { ...open, day, report: await closureReport(db, place.id, pointId, businessDay) };
  }
  type OpenDay = NonNullable<Awaited<ReturnType<typeof openDayOf>>>;

  function confirmPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    o: OpenDay,
    form: { cents: number; floatCents: number; note: string },
  ) {
    const { t } = request.ctx;
    const expected = o.report.totals.expectedCashCents;
    const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;
    const euros = (cents: number) => (cents / 100).toFixed(2);
    const body = html`<section class="zreport">
<p class="breadcrumb"><a href="${base(place)}">${t('closures.back')}</a></p>
<h1>${t('closures.confirm.title', { point: o.pointName, day: o.businessDay })}</h1>
<div class="alert" role="alert"><p>${t('closures.confirm.stops', { point: o.pointName, day: o.businessDay, time: o.day.dayStartsAt.slice(0, 5) })}</p></div>
${reportTables(request, o.report.totals, {
  openingFloatCents: form.floatCents,
  expectedCashCents: expected,
  countedCashCents: form.cents,
  differenceCents: form.cents - (form.floatCents + expected),
})}
<form method="post" action="${base(place)}">${csrfField(request)}
${hidden('pointId', o.pointId)}${hidden('businessDay', o.businessDay)}${hidden('countedCash', euros(form.cents))}${hidden('openingFloat', euros(form.floatCents))}${hidden('note', form.note)}${hidden('confirm', 'yes')}
<button type="submit" class="danger">${t('closures.confirm.button')}</button> <a href="${base(place)}">${t('closures.confirm.back')}</a></form>
</section>`;
    return sendHtml(
      reply,
      layout(request, info, {
        title: t('closures.confirm.title', { point: o.pointName, day: o.businessDay }),
        body,
        head: reportStyle(request, false),
      }),
    );
  }

  // The X report: the day so far, read-only, printable at any time; nothing is recorded and sales go on.
  app.get('/venues/:slug/admin/till/closures/x', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const q = request.query as { point?: string; day?: string };
    if (!isCalendarDay(q.day))
      throw new DomainError('validation', 422, {}, [{ field: 'businessDay', message: 'closures.day' }]);
    if (!q.point || !isUuid(q.point))
      throw new DomainError('validation', 422, {}, [{ field: 'pointId', message: 'invalid' }]);
    const o = await openDayOf(place, q.point, q.day);
    if (!o) {
      const [closed] = await listClosures(db, place.id, { businessDay: q.day, pointId: q.point });
      if (closed) return reply.redirect(`${base(place)}/${closed.id}`, 303);
      throw notFound('closure');
    }
    const { t, lang } = request.ctx;
    const at = new Intl.DateTimeFormat(localeOf(lang), {
      dateStyle: 'short',
      timeStyle: 'medium',
      timeZone: o.day.timezone,
    }).format(new Date());
    const receipt = (request.query as { format?: string }).format === 'receipt';
    const url = `${base(place)}/x?point=${o.pointId}&day=${o.businessDay}`;
    const body = html`<section class="zreport${receipt ? ' receipt' : ''}">
<p class="breadcrumb no-print"><a href="${base(place)}">${t('closures.back')}</a></p>
<h1>${t('closures.x.title', { point: o.pointName, day: o.businessDay })}</h1>
<p>${place.name}<br>${t('closures.x.at', { at })}</p>
<p role="status" class="notice">${t('closures.x.notFinal')}</p>
<p class="no-print"><button type="button" data-print>${t('closures.print')}</button><script src="/static/print.js" defer></script>
<a href="${url}"${receipt ? '' : html` aria-current="page"`}>${t('closures.formatA4')}</a> · <a href="${url}&amp;format=receipt"${receipt ? html` aria-current="page"` : ''}>${t('closures.formatReceipt')}</a></p>
${reportTables(request, o.report.totals, { expectedCashCents: o.report.totals.expectedCashCents })}
</section>`;
    reply.header('cache-control', 'no-store');
    return sendHtml(
      reply,
      layout(request, info, {
        title: t('closures.x.title', { point: o.pointName, day: o.businessDay }),
        body,
        head: reportStyle(request, receipt),
      }),
    );
  });

  async function closureFor(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ place: Place; closure: Closure } | null> {
    const place = await placeFor(request, reply);
    if (!place) return null;
    const { id } = request.params as { id: string };
    const closure = isUuid(id) ? await findClosure(db, place.id, id) : null;
    if (!closure) throw notFound('closure');
    return { place, closure };
  }

  app.get('/venues/:slug/admin/till/closures/:id', async (request, reply) => {
    const c = await closureFor(request, reply);
    if (!c) return reply;
    const [day, verification] = await Promise.all([tillDayOf(db, c.place.id), verifyClosure(db, c.closure)]);
    return reportPage(
      request,
      reply,
      c.place,
      c.closure,
      day,
      verification,
      (request.query as { format?: string }).format === 'receipt',
    );
  });

  app.get('/venues/:slug/admin/till/closures/:id/report.csv', async (request, reply) => {
    const c = await closureFor(request, reply);
    if (!c) return reply;
    return reply
      .type('text/csv; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="z-${c.place.slug}-${c.closure.businessDay}-${c.closure.id.slice(-8)}.csv"`,
      )
      .header('cache-control', 'no-store')
      .send('\uFEFF' + closureCsv(c.closure));
  });

  app.get('/venues/:slug/admin/till/journal.csv', async (request, reply) => {
    const place = await placeFor(request, reply);
    if (!place) return reply;
    const q = request.query as { day?: string; point?: string };
    if (!isCalendarDay(q.day))
      throw new DomainError('validation', 422, {}, [{ field: 'businessDay', message: 'closures.day' }]);
    const point = q.point && isUuid(q.point) ? q.point : undefined;
    if (q.point && !point) throw new DomainError('validation', 422, {}, [{ field: 'pointId', message: 'invalid' }]);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="journal-${place.slug}-${q.day}.csv"`)
      .header('cache-control', 'no-store')
      .send('\uFEFF' + (await journalDayCsv(db, place.id, q.day, point)));
  });

  // --- JSON API ---
  app.get(
    '/api/v1/venues/:slug/till/closures',
    {
      schema: {
        tags: ['till'],
        summary: "A venue's till closures (Z reports), newest day first",
        description: 'Venue admins and cashiers, or an API key with the `till` scope.',
        security,
        params: Params,
        querystring: Type.Object({ day: Type.Optional(Type.String({ format: 'date' })), pointId: Type.Optional(Uuid) }),
        response: responses({ 200: Type.Object({ items: Type.Array(ClosureSchema) }) }),
      },
    },
    async (request) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      await authorize(db, actorOf(request), place.id, 'till');
      const items = await listClosures(db, place.id, {
        businessDay: request.query.day,
        pointId: request.query.pointId,
      });
      return { items: items.map(present) };
    },
  );

  app.get(
    '/api/v1/venues/:slug/till/closures/:id',
    {
      schema: {
        tags: ['till'],
        summary: 'One closure, with its verification against the journal and the node key',
        security,
        params: Type.Object({ slug: Type.String({ maxLength: 60 }), id: Type.String({ maxLength: 36 }) }),
        response: responses({
          200: Type.Object({
            closure: ClosureSchema,
            verification: Type.Object({ ok: Type.Boolean(), problems: Type.Array(Type.String()) }),
          }),
        }),
      },
    },
    async (request) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      await authorize(db, actorOf(request), place.id, 'till');
      const closure = isUuid(request.params.id) ? await findClosure(db, place.id, request.params.id) : null;
      if (!closure) throw notFound('closure');
      return { closure: present(closure), verification: await verifyClosure(db, closure) };
    },
  );

  app.post(
    '/api/v1/venues/:slug/till/closures',
    {
      schema: {
        tags: ['till'],
        summary: "Close a point of sale's business day (Z report): final and signed",
        description:
          'Sums the journal of that point and day, records the counted cash and the difference. 409 `till-closure-exists` if already closed; later sales of that point and day get 409 `till-day-closed`.',
        security,
        params: Params,
        body: Type.Object(
          {
            pointId: Type.String({ maxLength: 36 }),
            businessDay: Type.String({ maxLength: 10 }),
            countedCashCents: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR }),
            openingFloatCents: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: MAX_AMOUNT_MINOR,
                description:
                  'Cash put in the drawer before the first sale (default 0): expected in the drawer = float + cash lines',
              }),
            ),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: Type.Object({ closure: ClosureSchema }) }, [400, 401, 403, 404, 409, 422]),
      },
    },
    async (request, reply) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      const closure = await closeDay(db, actorOf(request), { placeId: place.id, ...request.body });
      return reply.status(201).send({ closure: present(closure) });
    },
  );
}
