/** The points-of-sale setup pages of a venue's till admin, as views: (request, model) → Html. */
import type { FastifyRequest } from 'fastify';
import { csrfField, emptyForm, errorSummary, input, select, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import type { Place } from '../places/index.ts';
import { formatEuros } from '../shared/money.ts';
import { adminHeading } from './adminHeading.ts';
import type { PosArticle, PosCategory, PosPoint, PosSetup } from './posSetup.ts';
import { eurosField, kindLabel, percent, priceText, swatch } from './present.ts';
import { ARTICLE_KINDS, PAYMENT_METHODS } from './tables.ts';
import type { CurrencyTopUpLimits } from './topUpLimits.ts';

export const setupBase = (place: Place) => `/venues/${place.slug}/admin/till/setup`;

export interface SetupState {
  settings?: FormState;
  notice?: string;
}

/** The setup overview: points, categories, articles, the business day, the top-up limits. */
export function setupPage(request: FastifyRequest, place: Place, setup: PosSetup, state: SetupState = {}): Html {
  const { t } = request.ctx;
  const base = setupBase(place);
  const settingsForm = state.settings ?? emptyForm({ dayStartsAt: setup.dayStartsAt });
  return html`<section>
${adminHeading(request, place, 'setup', t('pos.title'))}
${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ''}
<p>${t('pos.intro')}</p>

<h2 id="points-title">${t('pos.points')}</h2>
<div class="table-scroll"><table class="list" aria-labelledby="points-title">
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.paymentMethods')}</th><th scope="col">${t('pos.articlesShown')}</th><th scope="col">${t('devices.state')}</th></tr></thead>
<tbody>${setup.points.map(
    (p) =>
      html`<tr><td><a href="${base}/points/${p.id}">${p.name}</a></td><td>${p.paymentMethods.map((m) => t(`pos.method.${m}`)).join(', ')}</td><td>${p.articleIds.length}</td><td>${p.archived ? t('pos.archived') : t('devices.active')}</td></tr>`,
  )}</tbody></table></div>
<p><a class="button" href="${base}/points/new">${t('pos.newPoint')}</a></p>

<h2 id="categories-title">${t('pos.categories')}</h2>
<div class="table-scroll"><table class="list" aria-labelledby="categories-title">
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.colour')}</th></tr></thead>
<tbody>${setup.categories.map((c) => html`<tr><td><a href="${base}/categories/${c.id}">${c.name}</a></td><td>${swatch(c.colour)} <span class="mono">${c.colour}</span></td></tr>`)}</tbody></table></div>
<p><a class="button" href="${base}/categories/new">${t('pos.newCategory')}</a></p>

${articlesTable(request, base, setup)}

<h2>${t('pos.settings')}</h2>
${errorSummary(request, settingsForm)}
<form method="post" action="${base}/settings" novalidate>${csrfField(request)}
${input(request, settingsForm, 'dayStartsAt', { type: 'time', hint: t('pos.dayStartsAtHint') })}
<button type="submit">${t('pos.save')}</button></form>

${limitsTable(request, base, setup)}
</section>`;
}

function articlesTable(request: FastifyRequest, base: string, setup: PosSetup): Html {
  const { t } = request.ctx;
  const categoryName = new Map(setup.categories.map((c) => [c.id, c] as const));
  return html`<h2 id="articles-title">${t('pos.articles')}</h2>
<div class="table-scroll"><table class="list" aria-labelledby="articles-title">
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.kind')}</th><th scope="col">${t('labels.categoryId')}</th><th scope="col">${t('pos.price')}</th><th scope="col">${t('pos.vat')}</th><th scope="col">${t('devices.state')}</th></tr></thead>
<tbody>${setup.articles.map((a) => {
    const c = a.categoryId ? categoryName.get(a.categoryId) : undefined;
    return html`<tr><td>${swatch(a.colour)} <a href="${base}/articles/${a.id}">${a.name}</a></td><td>${kindLabel(request, a.kind)}</td><td>${c ? c.name : '—'}</td><td>${priceText(request, a)}</td><td>${percent(a.vatRate, request.ctx.lang)} %</td><td>${a.archived ? t('pos.archived') : t('devices.active')}</td></tr>`;
  })}</tbody></table></div>
<p><a class="button" href="${base}/articles/new">${t('pos.newArticle')}</a></p>`;
}

function limitsTable(request: FastifyRequest, base: string, setup: PosSetup): Html {
  const { t } = request.ctx;
  const eur = (cents: number) => formatEuros(cents, request.ctx.lang);
  return html`<h2 id="limits-title">${t('pos.limits')}</h2>
<p>${t('pos.limitsIntro')}</p>
<div class="table-scroll"><table class="list" aria-labelledby="limits-title">
<thead><tr><th scope="col">${t('pos.limitsCurrency')}</th><th scope="col">${t('labels.lineMax')}</th><th scope="col">${t('labels.saleMax')}</th><th scope="col">${t('labels.cardDayMax')}</th><th scope="col">${t('labels.dayMax')}</th><th scope="col">${t('devices.state')}</th></tr></thead>
<tbody>${setup.topUpLimits.map(
    (l) =>
      html`<tr><td><a href="${base}/limits/${l.currencyId}">${l.code} — ${l.name}</a></td><td>${eur(l.lineMaxCents)}</td><td>${eur(l.saleMaxCents)}</td><td>${eur(l.cardDayMaxCents)}</td><td>${eur(l.dayMaxCents)}</td><td>${l.custom ? t('pos.limitsCustom') : t('pos.limitsDefault')}</td></tr>`,
  )}</tbody></table></div>`;
}

/** A page with one form (new point, new category, new article, limits): one form per page keeps ids unique. */
export function formPage(request: FastifyRequest, place: Place, title: string, content: Html, notice?: string): Html {
  const { t } = request.ctx;
  return html`<section>
${adminHeading(request, place, 'setup', title)}
<p><a href="/venues/${place.slug}/admin/till/setup">← ${t('pos.back')}</a></p>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${content}
</section>`;
}

export const newPointDefaults = () => emptyForm({ paymentMethods: ['card', 'cash', 'bank_card'] });

export function newPointForm(request: FastifyRequest, place: Place, form: FormState): Html {
  const { t } = request.ctx;
  const methods = (form.values.paymentMethods as string[] | string | undefined) ?? [];
  return html`${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/till/setup/points" novalidate>${csrfField(request)}
${input(request, form, 'name', { required: true, hint: t('pos.pointNameHint'), attrs: html` maxlength="80"` })}
${methodsFieldset(
  request,
  methods,
  form.errors.some((e) => e.field === 'paymentMethods'),
  form,
)}
<button type="submit">${t('pos.createPoint')}</button></form>`;
}

export const newCategoryDefaults = () => emptyForm({ colour: '#455a64' });

export function newCategoryForm(request: FastifyRequest, place: Place, form: FormState): Html {
  const { t } = request.ctx;
  return html`${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/till/setup/categories" novalidate>${csrfField(request)}
<div class="row">${input(request, form, 'name', { required: true, attrs: html` maxlength="80"` })}${input(request, form, 'colour', { type: 'color' })}</div>
<button type="submit">${t('pos.createCategory')}</button></form>`;
}

export const newArticleDefaults = (request: FastifyRequest) =>
  emptyForm({ kind: 'sale', vatRate: percent(850, request.ctx.lang), colour: '#37474f' });

export function articleForm(
  request: FastifyRequest,
  setup: PosSetup,
  form: FormState,
  action: string,
  submit: string,
): Html {
  const { t } = request.ctx;
  const currencies = [
    ...setup.topUpCurrencies.map((c) => ({ value: c.id, label: `${c.code} — ${c.name} (${t('pos.kind.top_up')})` })),
    ...setup.giftCurrencies.map((c) => ({
      value: c.id,
      label: `${c.code} — ${c.name} (${t('pos.kind.gift_top_up')})`,
    })),
  ];
  return html`${errorSummary(request, form)}
<form method="post" action="${action}" novalidate>${csrfField(request)}
<div class="row">${input(request, form, 'name', { required: true, attrs: html` maxlength="80"` })}
${select(
  request,
  form,
  'kind',
  ARTICLE_KINDS.map((k) => ({ value: k, label: kindLabel(request, k) })),
)}
${select(request, form, 'categoryId', [{ value: '', label: t('pos.noCategory') }, ...setup.categories.map((c) => ({ value: c.id, label: c.name }))])}</div>
<div class="row">${input(request, form, 'price', { hint: t('pos.priceHint'), attrs: html` inputmode="decimal"` })}
<div class="field"><label class="check"><input type="checkbox" name="openPrice" value="on"${form.values.openPrice ? html` checked` : ''}> ${t('pos.openPriceLabel')}</label></div>
${input(request, form, 'vatRate', { hint: t('pos.vatHint'), attrs: html` inputmode="decimal"` })}
${input(request, form, 'colour', { type: 'color' })}</div>
<div class="row">${select(request, form, 'currencyId', [{ value: '', label: t('pos.none') }, ...currencies])}
${select(request, form, 'membershipProductId', [{ value: '', label: t('pos.none') }, ...setup.membershipProducts.map((p) => ({ value: p.id, label: p.name }))])}
${input(request, form, 'position', { attrs: html` inputmode="numeric"` })}</div>
<p class="hint">${t('pos.articleHint')}</p>
<button type="submit">${submit}</button></form>`;
}

function methodsFieldset(request: FastifyRequest, chosen: string[] | string, invalid: boolean, form: FormState): Html {
  const { t } = request.ctx;
  const list = Array.isArray(chosen) ? chosen : [chosen];
  return html`<fieldset id="paymentMethods"${invalid ? html` aria-describedby="paymentMethods-error"` : ''}><legend>${t('labels.paymentMethods')}</legend>
${PAYMENT_METHODS.map((m) => html`<label class="check"><input type="checkbox" name="paymentMethods" value="${m}"${list.includes(m) ? html` checked` : ''}> ${t(`pos.method.${m}`)}</label>`)}
${invalid ? html`<p class="error" id="paymentMethods-error">${form.errors.filter((e) => e.field === 'paymentMethods').map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}
</fieldset>`;
}

export interface PointState {
  form?: FormState;
  articles?: FormState;
}

/** A point of sale: its settings, archive/restore, and the articles it shows in their order. */
export function pointPage(
  request: FastifyRequest,
  place: Place,
  setup: PosSetup,
  point: PosPoint,
  state: PointState = {},
): Html {
  const { t } = request.ctx;
  const base = setupBase(place);
  const form =
    state.form ??
    emptyForm({ name: point.name, paymentMethods: point.paymentMethods, position: String(point.position) });
  const methods = (form.values.paymentMethods as string[] | string | undefined) ?? [];
  const methodsInvalid = form.errors.some((e) => e.field === 'paymentMethods');
  return html`<section>
${adminHeading(request, place, 'setup', point.name)}
<p><a href="${base}">← ${t('pos.back')}</a></p>
${point.archived ? html`<p class="alert">${t('pos.pointArchived')}</p>` : ''}
<h2>${t('pos.editPoint')}</h2>
${errorSummary(request, form)}
<form method="post" action="${base}/points/${point.id}" novalidate>${csrfField(request)}
${input(request, form, 'name', { required: true, attrs: html` maxlength="80"` })}
${methodsFieldset(request, methods, methodsInvalid, form)}
${input(request, form, 'position', { hint: t('pos.positionHint'), attrs: html` inputmode="numeric"` })}
<button type="submit">${t('pos.save')}</button></form>
<form method="post" action="${base}/points/${point.id}/${point.archived ? 'restore' : 'archive'}">${csrfField(request)}<button type="submit"${point.archived ? '' : html` class="danger"`}>${point.archived ? t('pos.restore') : t('pos.archive')}</button></form>

${pointArticles(request, base, setup, point, state.articles ?? emptyForm())}
</section>`;
}

function pointArticles(
  request: FastifyRequest,
  base: string,
  setup: PosSetup,
  point: PosPoint,
  articlesForm: FormState,
): Html {
  const { t } = request.ctx;
  const shown = new Map(point.articleIds.map((id, i) => [id, i + 1] as const));
  // Shown articles first, in their order; then the others.
  const listed = setup.articles
    .filter((a) => !a.archived || shown.has(a.id))
    .sort((a, b) => (shown.get(a.id) ?? 1e9) - (shown.get(b.id) ?? 1e9));
  return html`<h2 id="shown-title">${t('pos.articlesShown')}</h2>
<p class="hint">${t('pos.articlesShownHint')}</p>
${articlesForm.errors.length ? html`<div class="alert" role="alert"><p>${articlesForm.errors.map((e) => t(`fields.${e.message}`, e.params))}</p></div>` : ''}
<form method="post" action="${base}/points/${point.id}/articles">${csrfField(request)}
<div class="table-scroll"><table class="list" aria-labelledby="shown-title">
<thead><tr><th scope="col">${t('pos.shown')}</th><th scope="col">${t('pos.order')}</th><th scope="col">${t('labels.kind')}</th><th scope="col">${t('pos.price')}</th></tr></thead>
<tbody>${listed.map(
    (
      a,
    ) => html`<tr><td><label class="check"><input type="checkbox" name="articleIds" value="${a.id}"${shown.has(a.id) ? html` checked` : ''}> ${swatch(a.colour)} ${a.name}${a.archived ? html` <small>(${t('pos.archived')})</small>` : ''}</label></td>
<td><label for="order-${a.id}" class="visually-hidden">${t('pos.orderOf', { name: a.name })}</label><input id="order-${a.id}" name="order.${a.id}" inputmode="numeric" size="4" value="${shown.get(a.id) ?? ''}"></td>
<td>${kindLabel(request, a.kind)}</td><td>${priceText(request, a)}</td></tr>`,
  )}</tbody></table></div>
<button type="submit">${t('pos.saveArticles')}</button></form>`;
}

export function categoryPage(request: FastifyRequest, place: Place, category: PosCategory, form?: FormState): Html {
  const { t } = request.ctx;
  const base = setupBase(place);
  const f = form ?? emptyForm({ name: category.name, colour: category.colour, position: String(category.position) });
  return html`<section>
${adminHeading(request, place, 'setup', category.name)}
<p><a href="${base}">← ${t('pos.back')}</a></p>
${errorSummary(request, f)}
<form method="post" action="${base}/categories/${category.id}" novalidate>${csrfField(request)}
<div class="row">${input(request, f, 'name', { required: true, attrs: html` maxlength="80"` })}${input(request, f, 'colour', { type: 'color' })}${input(request, f, 'position', { attrs: html` inputmode="numeric"` })}</div>
<button type="submit">${t('pos.save')}</button></form>
<form method="post" action="${base}/categories/${category.id}/delete">${csrfField(request)}<button type="submit" class="danger">${t('pos.deleteCategory')}</button></form>
</section>`;
}

export function articlePage(
  request: FastifyRequest,
  place: Place,
  setup: PosSetup,
  a: PosArticle,
  form?: FormState,
): Html {
  const { t, lang } = request.ctx;
  const base = setupBase(place);
  const f =
    form ??
    emptyForm({
      name: a.name,
      kind: a.kind,
      categoryId: a.categoryId ?? '',
      price: a.priceCents === null ? '' : eurosField(a.priceCents, lang),
      openPrice: a.priceCents === null,
      vatRate: percent(a.vatRate, lang),
      colour: a.colour,
      currencyId: a.currencyId ?? '',
      membershipProductId: a.membershipProductId ?? '',
      position: String(a.position),
    });
  return html`<section>
${adminHeading(request, place, 'setup', a.name)}
<p><a href="${base}">← ${t('pos.back')}</a></p>
${a.archived ? html`<p class="alert">${t('pos.articleArchived')}</p>` : ''}
${articleForm(request, setup, f, `${base}/articles/${a.id}`, t('pos.save'))}
<form method="post" action="${base}/articles/${a.id}/${a.archived ? 'restore' : 'archive'}">${csrfField(request)}<button type="submit"${a.archived ? '' : html` class="danger"`}>${a.archived ? t('pos.restore') : t('pos.archive')}</button></form>
</section>`;
}

export const LIMIT_FIELDS = ['lineMax', 'saleMax', 'cardDayMax', 'dayMax'] as const;

/** The form of a currency's top-up limits, in euros (the use case reads cents). */
export function limitsForm(request: FastifyRequest, place: Place, limits: CurrencyTopUpLimits, form?: FormState): Html {
  const { t } = request.ctx;
  const values =
    form ??
    emptyForm(
      Object.fromEntries(
        LIMIT_FIELDS.map((f) => [f, eurosField(limits[`${f}Cents`], request.ctx.lang)] as const),
      ) as Record<string, unknown>,
    );
  return html`<p>${t('pos.limitsIntro')}</p>
${errorSummary(request, values)}
<form method="post" action="/venues/${place.slug}/admin/till/setup/limits/${limits.currencyId}" novalidate>${csrfField(request)}
${LIMIT_FIELDS.map((f) => input(request, values, f, { hint: t(`pos.${f}Hint`), attrs: html` inputmode="decimal"` }))}
<button type="submit">${t('pos.save')}</button></form>`;
}
