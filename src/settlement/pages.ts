import type { HolderDebt, FederationMember, VenuePosition } from '../ledger/index.ts';
import type { FastifyRequest } from 'fastify';
import { csrfField, errorSummary, fieldErrors, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { adminNav, type Place } from '../places/index.ts';
import { formatEuros } from '../shared/money.ts';
import { feeRate } from './statementCsv.ts';
import type { Run, Statement, StatementState } from './statements.ts';
import type { SettledFederation } from './treasurers.ts';
import type { StatementVerification } from './verifyStatement.ts';

/**
 * The pages of settlement (docs/SETTLEMENT.md, "Pages"): views only, every word from the catalogue.
 * A treasurer must understand each page without the docs: each starts by saying what it shows.
 */

// `|| 0` turns −0 into 0: no "-0,00 €".
const eur = (request: FastifyRequest, cents: number) => formatEuros(cents || 0, request.ctx.lang);
const when = (request: FastifyRequest, d: Date, zone: string) => formatDateTime(request.ctx.lang, d, zone);

/** A state as a short phrase, from the federation's side or, for the venue's own page, from the venue's. */
function stateText(request: FastifyRequest, s: Statement, side: 'federation' | 'venue' = 'federation'): string {
  const { t } = request.ctx;
  return t(`settlement.${side === 'venue' ? 'venueState' : 'state'}.${s.state}`, {
    amount: eur(request, Math.abs(s.closingCents)),
  });
}

export function periodText(request: FastifyRequest, start: Date | null, end: Date, zone: string): string {
  const { t } = request.ctx;
  return start
    ? t('settlement.periodFromTo', { start: when(request, start, zone), end: when(request, end, zone) })
    : t('settlement.periodUpTo', { end: when(request, end, zone) });
}

/** /settlement: the federations this person settles. */
export function federationsPage(request: FastifyRequest, federations: { slug: string; name: string }[]): Html {
  const { t } = request.ctx;
  return html`<section>
<h1>${t('settlement.title')}</h1>
<p class="lead">${t('settlement.listIntro')}</p>
${
  federations.length === 0
    ? html`<p>${t('settlement.noFederation')}</p>`
    : html`<ul>${federations.map((f) => html`<li><a href="/settlement/${f.slug}">${f.name}</a></li>`)}</ul>`
}
</section>`;
}

export interface FederationView {
  federation: SettledFederation;
  timeZone: string;
  venues: { member: FederationMember; position: VenuePosition; latest: Statement | null }[];
  runs: Run[];
  incomplete: Run | null;
  pendingStatementId: string | null;
  treasurers: { personId: string; email: string; name: string }[];
  feeBps: number;
  isOperator: boolean;
  defaultDate: string;
  /** What holders owe after euros were taken back for tokens already spent, with their e-mail when known. */
  debts: (HolderDebt & { holder: string })[];
}

function runForm(request: FastifyRequest, view: FederationView, form: FormState | null): Html {
  const { t } = request.ctx;
  const path = `/settlement/${view.federation.slug}/runs`;
  if (view.incomplete)
    return html`<div class="alert" role="status"><p>${t('settlement.incomplete', { end: when(request, view.incomplete.periodEnd, view.timeZone) })}</p>
<form method="post" action="${path}">${csrfField(request)}<input type="hidden" name="mode" value="instant"><input type="hidden" name="instant" value="${view.incomplete.periodEnd.toISOString()}">
<button type="submit">${t('settlement.resume')}</button></form></div>`;
  if (view.pendingStatementId)
    return html`<div class="alert" role="status"><p>${t('settlement.pendingBlocks')}</p><p><a href="/settlement/statements/${view.pendingStatementId}">${t('settlement.openPending')}</a></p></div>`;
  const f = form ?? { values: { mode: 'date', untilDate: view.defaultDate }, errors: [] };
  const mode = f.values.mode === 'now' ? 'now' : 'date';
  const invalid = f.errors.some((e) => e.field === 'untilDate');
  return html`<form method="post" action="${path}" novalidate>${csrfField(request)}
${errorSummary(request, f)}
<fieldset><legend>${t('settlement.runUntil')}</legend>
<label class="check"><input type="radio" name="mode" value="date"${mode === 'date' ? html` checked` : ''}> ${t('settlement.untilDay')}</label>
<div class="field"><label for="untilDate">${t('labels.untilDate')}</label>
<p class="hint" id="untilDate-hint">${t('settlement.untilDayHint', { zone: view.timeZone })}</p>
<input id="untilDate" name="untilDate" type="date" value="${String(f.values.untilDate ?? '')}" aria-describedby="untilDate-hint${invalid ? ' untilDate-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>
${fieldErrors(request, f, 'untilDate')}</div>
<label class="check"><input type="radio" name="mode" value="now"${mode === 'now' ? html` checked` : ''}> ${t('settlement.untilNow')}</label>
</fieldset>
<p class="hint">${t('settlement.runHint')}</p>
<button type="submit">${t('settlement.run')}</button>
</form>`;
}

/** /settlement/:federation — what each venue has to settle, the run form, the runs, the treasurers. */
export function federationPage(request: FastifyRequest, view: FederationView, form: FormState | null = null): Html {
  const { t } = request.ctx;
  const { federation } = view;
  const code = federation.currency.code;
  const base = `/settlement/${federation.slug}`;
  return html`<section>
<p class="breadcrumb"><a href="/settlement">${t('settlement.title')}</a></p>
<h1>${t('settlement.federationTitle', { name: federation.name })}</h1>
<p class="lead">${t('settlement.federationIntro', { code })}</p>
<p class="hint">${t('settlement.feeNow', { rate: feeRate(view.feeBps, request.ctx.lang) })}</p>

<h2>${t('settlement.venuesTitle')}</h2>
<p class="hint">${t('settlement.venuesHint', { code })}</p>
<ul class="cards">${view.venues.map(
    (v) => html`<li class="card"><h3>${v.member.name}</h3>
<dl class="figures">
<dt>${t('settlement.col.tokens', { code })}</dt><dd class="num">${eur(request, v.position.tokensCents)}</dd>
<dt>${t('settlement.col.cash')}</dt><dd class="num">${eur(request, -v.position.cashCents)}</dd>
<dt>${t('settlement.col.position')}</dt><dd class="num">${eur(request, v.position.positionCents)}</dd>
</dl>
<p>${v.latest ? html`${t('settlement.latestLabel')} <a href="/settlement/statements/${v.latest.id}">${v.latest.reference}</a><br><strong>${stateText(request, v.latest)}</strong>` : t('settlement.noStatement')}</p></li>`,
  )}</ul>

<h2>${t('settlement.runTitle')}</h2>
${runForm(request, view, form)}

<h2>${t('settlement.runsTitle')}</h2>
${
  view.runs.length === 0
    ? html`<p>${t('settlement.noRun')}</p>`
    : html`<div class="table-scroll"><table class="list"><caption class="visually-hidden">${t('settlement.runsTitle')}</caption>
<thead><tr><th scope="col">${t('settlement.col.period')}</th><th scope="col">${t('settlement.col.ranAt')}</th><th scope="col">${t('settlement.col.status')}</th></tr></thead>
<tbody>${view.runs.map(
        (
          r,
        ) => html`<tr><td><a href="${base}/runs/${r.id}">${periodText(request, r.periodStart, r.periodEnd, view.timeZone)}</a></td>
<td>${when(request, r.startedAt, view.timeZone)}</td><td>${t(`settlement.runStatus.${r.status}`)}</td></tr>`,
      )}</tbody></table></div>`
}

<h2>${t('settlement.debtsTitle')}</h2>
<p class="hint">${t('settlement.debtsHint')}</p>
${
  view.debts.length === 0
    ? html`<p>${t('paymentIssues.none')}</p>`
    : html`<div class="table-scroll"><table class="list"><caption class="visually-hidden">${t('settlement.debtsTitle')}</caption>
<thead><tr><th scope="col">${t('paymentIssues.holder')}</th><th scope="col" class="num">${t('paymentIssues.amount')}</th><th scope="col">${t('paymentIssues.why')}</th><th scope="col">${t('paymentIssues.reference')}</th><th scope="col">${t('paymentIssues.date')}</th></tr></thead>
<tbody>${view.debts.map(
        (d) =>
          html`<tr><td>${d.holder}</td><td class="num">${eur(request, d.amountCents)}</td><td>${t(`paymentIssues.why.${d.reason}`)}</td><td class="mono">${d.reference}</td><td>${when(request, d.createdAt, view.timeZone)}</td></tr>`,
      )}</tbody></table></div>`
}

<h2>${t('settlement.treasurersTitle')}</h2>
<p class="hint">${t('settlement.treasurersHint')}</p>
${
  view.treasurers.length === 0
    ? html`<p>${t('settlement.noTreasurer')}</p>`
    : html`<ul>${view.treasurers.map(
        (p) =>
          html`<li>${p.name || p.email} <span class="mono">${p.email}</span>${
            view.isOperator
              ? html` <form method="post" action="${base}/treasurers/remove" class="inline">${csrfField(request)}<input type="hidden" name="email" value="${p.email}"><button type="submit" class="link">${t('settlement.removeTreasurer')}</button></form>`
              : ''
          }</li>`,
      )}</ul>`
}
${
  view.isOperator
    ? html`<form method="post" action="${base}/treasurers" class="inline-form">${csrfField(request)}
<label for="treasurer-email">${t('settlement.addTreasurerLabel')}</label> <input id="treasurer-email" name="email" type="email" autocomplete="off" required>
<button type="submit">${t('settlement.addTreasurer')}</button></form>
<form method="post" action="${base}/fee" class="inline-form">${csrfField(request)}
<label for="bps">${t('settlement.feeLabel')}</label> <input id="bps" name="bps" inputmode="numeric" size="5" value="${view.feeBps}" aria-describedby="bps-hint">
<button type="submit">${t('settlement.setFee')}</button></form>
<p class="hint" id="bps-hint">${t('settlement.feeHint')}</p>`
    : ''
}
</section>`;
}

/** Statements as cards (readable on a phone as on a desktop): figures, state, and the files when asked. */
function statementCards(
  request: FastifyRequest,
  statements: Statement[],
  options: { venue: boolean; files: boolean; timeZone: string },
): Html {
  const { t } = request.ctx;
  if (statements.length === 0) return html`<p>${t('settlement.noStatement')}</p>`;
  return html`<ul class="cards">${statements.map(
    (s) => html`<li class="card"><h3><a href="/settlement/statements/${s.id}">${s.reference}</a></h3>
<p>${options.venue ? html`${s.placeName} · ` : ''}${periodText(request, s.periodStart, s.periodEnd, options.timeZone)}</p>
<dl class="figures">
<dt>${t('settlement.opening')}</dt><dd class="num">${eur(request, s.openingCents)}</dd>
<dt>${t('settlement.col.received')}</dt><dd class="num">${eur(request, s.tokensCents)}</dd>
<dt>${t('settlement.col.cashNet')}</dt><dd class="num">${eur(request, s.cashCents)}</dd>
${s.feeCents > 0 ? html`<dt>${t('settlement.col.fee')}</dt><dd class="num">${eur(request, -s.feeCents)}</dd>` : ''}
<dt>${t('settlement.closing')}</dt><dd class="num"><strong>${eur(request, s.closingCents)}</strong></dd>
</dl>
<p><strong>${stateText(request, s, options.files ? 'venue' : 'federation')}</strong></p>
${options.files ? html`<p><a href="/settlement/statements/${s.id}/statement.pdf">${t('settlement.pdfLink')}</a><br><a href="/settlement/statements/${s.id}/statement.csv" download>${t('settlement.csvLink')}</a></p>` : ''}</li>`,
  )}</ul>`;
}

/** /settlement/:federation/runs/:id — the run's statements and the accountant's export. */
export function runPage(
  request: FastifyRequest,
  federation: SettledFederation,
  run: Run,
  statements: Statement[],
  timeZone: string,
): Html {
  const { t } = request.ctx;
  const base = `/settlement/${federation.slug}`;
  return html`<section>
<p class="breadcrumb"><a href="/settlement">${t('settlement.title')}</a> › <a href="${base}">${federation.name}</a></p>
<h1>${t('settlement.runPageTitle')}</h1>
<p class="lead">${periodText(request, run.periodStart, run.periodEnd, timeZone)}</p>
<p>${t(`settlement.runStatusLong.${run.status}`, { when: when(request, run.completedAt ?? run.startedAt, timeZone) })}</p>
<p class="hint">${t('settlement.runPageHint')}</p>
${statementCards(request, statements, { venue: true, files: false, timeZone })}
<p><a class="button" href="${base}/runs/${run.id}/export.csv" download>${t('settlement.export')}</a></p>
<p class="hint">${t('settlement.exportHint')}</p>
</section>`;
}

export interface StatementActions {
  /** The person settles this federation (treasurer, operator). */
  treasurer: boolean;
  /** Stripe on the node and a connected account at the venue. */
  stripe: boolean;
}

function actionsOf(
  request: FastifyRequest,
  s: Statement,
  actions: StatementActions,
  form: { key: string; form: FormState } | null,
  today: string,
): Html {
  const { t } = request.ctx;
  if (!actions.treasurer) return html``;
  const base = `/settlement/statements/${s.id}`;
  const moneyForm = (key: 'paid' | 'received', title: string, button: string) => {
    const f = form?.key === key ? form.form : { values: { paidOn: today }, errors: [] };
    const field = (name: 'bankReference' | 'paidOn', type: string, attrs: Html) => {
      const invalid = f.errors.some((e) => e.field === name);
      const id = `${key}-${name}`;
      return html`<div class="field"><label for="${id}">${t(`labels.${name}`)}${name === 'bankReference' ? html` <span aria-hidden="true">*</span>` : ''}</label>
<input id="${id}" name="${name}" type="${type}" value="${String(f.values[name] ?? '')}"${attrs}${invalid ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
${invalid ? html`<p class="error" id="${id}-error">${f.errors.filter((e) => e.field === name).map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</div>`;
    };
    return html`<form method="post" action="${base}/${key}" novalidate class="card">${csrfField(request)}
<h3>${title}</h3>
${f.errors.length ? html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: f.errors.length })}</p></div>` : ''}
<div class="row">${field('bankReference', 'text', html` maxlength="140" autocomplete="off" required`)}${field('paidOn', 'date', html``)}</div>
<button type="submit">${button}</button></form>`;
  };
  if (s.state === 'to_pay')
    return html`<h2>${t('settlement.payTitle')}</h2>
<p>${t('settlement.payHint', { amount: eur(request, s.closingCents), venue: s.placeName })}</p>
${s.payout && s.payout.status !== 'paid' ? html`<p class="alert" role="status">${t(`settlement.stripe.${s.payout.status}`, { error: s.payout.lastError ?? '' })}</p>` : ''}
<div${actions.stripe ? html` class="cards"` : html` class="narrow"`}>
${s.payout?.status === 'pending' ? '' : moneyForm('paid', t('settlement.sepaTitle'), t('settlement.sepaButton'))}
${
  actions.stripe
    ? html`<form method="post" action="${base}/stripe" class="card">${csrfField(request)}<h3>${t('settlement.stripeTitle')}</h3>
<p class="hint">${t('settlement.stripeHint')}</p><button type="submit">${t(s.payout?.method === 'stripe' ? 'settlement.stripeRetry' : 'settlement.stripeButton', { amount: eur(request, s.closingCents) })}</button></form>`
    : ''
}
</div>`;
  if (s.state === 'to_receive')
    return html`<h2>${t('settlement.receiveTitle')}</h2>
<p>${t('settlement.receiveHint', { amount: eur(request, -s.closingCents), venue: s.placeName })}</p>
<div class="narrow">${moneyForm('received', t('settlement.receivedTitle'), t('settlement.receivedButton'))}</div>`;
  return html``;
}

/** /settlement/statements/:id — one statement: its figures, what happens to its closing, its files, its signature. */
export function statementPage(
  request: FastifyRequest,
  s: Statement,
  verification: StatementVerification,
  timeZone: string,
  actions: StatementActions,
  form: { key: string; form: FormState } | null,
  today: string,
): Html {
  const { t } = request.ctx;
  const base = `/settlement/statements/${s.id}`;
  const outcome = t(`settlement.outcome.${s.state}`, {
    amount: eur(request, Math.abs(s.closingCents)),
    reference: s.payout?.reference ?? '',
    date: s.payout?.paidOn ?? '',
  });
  const breadcrumb = actions.treasurer
    ? html`<a href="/settlement">${t('settlement.title')}</a> › <a href="/settlement/${s.federationSlug}">${s.federationName}</a> › <a href="/settlement/${s.federationSlug}/runs/${s.runId}">${t('settlement.runPageTitle')}</a>`
    : html`<a href="/venues/${s.placeSlug}">${s.placeName}</a> › <a href="/venues/${s.placeSlug}/admin/settlement">${t('admin.titles.settlement')}</a>`;
  return html`<section>
<p class="breadcrumb">${breadcrumb}</p>
<h1>${t('settlement.statementTitle', { reference: s.reference, venue: s.placeName })}</h1>
<p class="lead">${periodText(request, s.periodStart, s.periodEnd, timeZone)}</p>
${s.coversTo.getTime() !== s.periodEnd.getTime() ? html`<p class="hint">${t('settlement.coversTo', { when: when(request, s.coversTo, timeZone) })}</p>` : ''}
<p>${t('settlement.statementIntro', { federation: s.federationName, code: s.currencyCode })}</p>
<div class="table-scroll"><table class="list"><caption class="visually-hidden">${t('settlement.statementTitle', { reference: s.reference, venue: s.placeName })}</caption>
<thead><tr><th scope="col">${t('settlement.col.movement')}</th><th scope="col" class="num">${t('settlement.col.count')}</th><th scope="col" class="num">${t('settlement.col.amount')}</th></tr></thead>
<tbody>
<tr><th scope="row">${t('settlement.opening')}</th><td></td><td class="num">${eur(request, s.openingCents)}</td></tr>
${s.lines.map((l) => html`<tr><th scope="row">${t(`settlement.lines.${l.line}`)}<small class="hint">${t(`settlement.linesHint.${l.line}`)}</small></th><td class="num">${l.count}</td><td class="num">${eur(request, l.amountCents)}</td></tr>`)}
${s.lines.length === 0 ? html`<tr><td colspan="3">${t('settlement.noMovement')}</td></tr>` : ''}
${s.feeCents > 0 ? html`<tr><th scope="row">${t('settlement.fee', { rate: feeRate(s.feeBps, request.ctx.lang) })}</th><td></td><td class="num">${eur(request, -s.feeCents)}</td></tr>` : ''}
<tr><th scope="row"><strong>${t('settlement.closing')}</strong></th><td></td><td class="num"><strong>${eur(request, s.closingCents)}</strong></td></tr>
</tbody></table></div>
<p class="notice" role="status"><strong>${outcome}</strong></p>
<p class="hint">${t('settlement.explain')}</p>
<p class="hint">${t('settlement.vatNote')}</p>
<p><a class="button" href="${base}/statement.pdf">${t('settlement.pdfLink')}</a> <a class="button" href="${base}/statement.csv" download>${t('settlement.csvLink')}</a></p>
<p>${verification.ok ? t('settlement.verified') : t('settlement.notVerified', { problems: verification.problems.join(', ') })}</p>
${actionsOf(request, s, actions, form, today)}
</section>`;
}

/** /venues/:slug/admin/settlement — a venue's position and statements, for its admins. */
export function venuePage(
  request: FastifyRequest,
  place: Place,
  code: string | null,
  position: VenuePosition | null,
  statements: Statement[],
  timeZone: string,
): Html {
  const { t } = request.ctx;
  return html`<section>
${adminNav(request, place, 'settlement')}
<p class="lead">${t('settlement.venueIntro', { code: code ?? '—' })}</p>
${
  position
    ? html`<dl class="facts">
<dt>${t('settlement.venueTokens', { code: code ?? '' })}</dt><dd>${eur(request, position.tokensCents)}</dd>
<dt>${t('settlement.venueCash')}</dt><dd>${eur(request, -position.cashCents)}</dd>
<dt>${t('settlement.venuePosition')}</dt><dd>${eur(request, position.positionCents)} — ${t(position.positionCents > 0 ? 'settlement.owedToYou' : position.positionCents < 0 ? 'settlement.youOwe' : 'settlement.nothingOwed')}</dd>
</dl>`
    : html`<p>${t('settlement.noFederationVenue')}</p>`
}
<h2>${t('settlement.venueStatements')}</h2>
${statementCards(request, statements, { venue: false, files: true, timeZone })}
</section>`;
}

export type { StatementState };

/** The account page's section for treasurers and operators: the federations they settle (nothing otherwise). */
export function myFederationsSection(request: FastifyRequest, federations: { slug: string; name: string }[]): Html {
  const { t } = request.ctx;
  if (federations.length === 0) return html``;
  return html`<h2 id="settlement">${t('settlement.title')}</h2>
<p>${t('settlement.accountIntro')}</p>
<ul>${federations.map((f) => html`<li><a href="/settlement/${f.slug}">${f.name}</a></li>`)}</ul>`;
}
