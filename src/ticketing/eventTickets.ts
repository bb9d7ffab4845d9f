import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { csrfField } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import type { FieldError } from '../shared/errors.ts';
import { formatEuros } from '../shared/money.ts';
import { offersOf, type DateOffers, type PriceOffer } from './offers.ts';
import { formFieldOf, questionFields, type Question } from './questions.ts';
import { localeOf } from '../i18n/i18n.ts';

/** The quantity field of a price on a date: `q.<price id>.<date id>` (and `a.` for a chosen amount). */
export const quantityField = (priceId: string, dateId: string) => `q.${priceId}.${dateId}`;
export const amountField = (priceId: string, dateId: string) => `a.${priceId}.${dateId}`;

function priceLabel(request: FastifyRequest, p: PriceOffer): string {
  const { t, lang } = request.ctx;
  if (p.kind === 'free') return t('buy.free');
  if (p.kind === 'pay_what_you_want') return t('buy.pwyw', { min: formatEuros(p.minPriceCents, lang) });
  return formatEuros(p.priceCents, lang);
}

/**
 * The "Billets" section of an event page: each date with its prices, seats left, a quantity per
 * price, and the buyer's details. Sold-out and not-yet-on-sale prices are shown, not offered.
 */
export async function renderEventTickets(
  request: FastifyRequest,
  db: Db,
  event: { id: string; placeId: string; slug: string; state: string },
  state: { values?: Record<string, unknown>; errors?: FieldError[]; problem?: string } = {},
): Promise<Html | ''> {
  if (event.state !== 'published') return '';
  const offers = await offersOf(db, event.placeId, event.id);
  if (offers.length === 0) return '';
  return ticketForm(request, event, offers, state);
}

export function ticketForm(
  request: FastifyRequest,
  event: { id: string; slug: string },
  offers: DateOffers[],
  state: { values?: Record<string, unknown>; errors?: FieldError[]; problem?: string },
  payment: { onSite: boolean; online?: boolean } = { onSite: false },
): Html {
  // Paid only at the door: "Réserver" would lead nowhere unless something is free (docs/TICKETING.md).
  const orderButton =
    payment.online !== false ||
    offers.some((d) => d.prices.some((p) => p.kind === 'free' || (p.kind === 'member_only' && p.priceCents === 0)));
  const { t, lang, person } = request.ctx;
  const v = state.values ?? {};
  const errors = state.errors ?? [];
  const value = (name: string, fallback = '') => (typeof v[name] === 'string' ? (v[name] as string) : fallback);
  return html`<section id="tickets" class="tickets" aria-labelledby="tickets-title">
<h2 id="tickets-title">${t('buy.title')}</h2>
${state.problem ? html`<p class="alert" role="alert">${state.problem}</p>` : ''}
${errors.length ? html`<div class="alert" role="alert"><ul>${errors.map((e) => html`<li>${t(`fields.${e.message}`, e.params)}</li>`)}</ul></div>` : ''}
<form method="post" action="/events/${event.id}/order" novalidate>
${csrfField(request)}
${offers.map(
  (
    d,
  ) => html`<fieldset><legend>${new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'full', timeStyle: 'short', timeZone: d.timezone }).format(d.startsAt)}</legend>
${d.prices.map((p) => {
  const q = quantityField(p.id, d.dateId);
  const max = Math.min(p.perOrderLimit, p.remaining ?? p.perOrderLimit);
  const left = p.remaining === null ? '' : p.remaining === 0 ? t('buy.soldOut') : t('buy.left', { count: p.remaining });
  return html`<div class="row ticket-price"><div class="field"><label for="${q}">${p.name} — ${priceLabel(request, p)}</label>
${left ? html`<p class="hint">${left}</p>` : ''}
${
  !p.onSale
    ? html`<p class="hint">${t('buy.notOnSale')}</p>`
    : max > 0
      ? html`<select id="${q}" name="${q}">${Array.from({ length: max + 1 }, (_, n) => html`<option value="${n}"${String(n) === value(q, '0') ? html` selected` : ''}>${n}</option>`)}</select>`
      : ''
}</div>
${p.remaining === 0 && p.onSale && p.kind !== 'member_only' ? html`<p><a href="/events/${event.id}/waitlist?date=${d.dateId}&price=${p.id}">${t('waitlist.joinLink')}</a></p>` : ''}
${p.kind === 'pay_what_you_want' && p.onSale && max > 0 ? html`<div class="field"><label for="${amountField(p.id, d.dateId)}">${t('buy.amountEach')}</label><input id="${amountField(p.id, d.dateId)}" name="${amountField(p.id, d.dateId)}" inputmode="decimal" value="${value(amountField(p.id, d.dateId), (Math.max(p.minPriceCents, p.priceCents) / 100).toFixed(2))}"></div>` : ''}</div>`;
})}
</fieldset>`,
)}
<div class="row">
<div class="field"><label for="order-email">${t('labels.email')} *</label><input id="order-email" name="email" type="email" autocomplete="email" required value="${value('email', person?.email ?? '')}"></div>
<div class="field"><label for="order-name">${t('labels.name')}</label><input id="order-name" name="name" autocomplete="name" value="${value('name', person?.name ?? '')}"></div>
</div>
<div class="field"><label for="order-promo">${t('labels.promoCode')}</label><input id="order-promo" name="promoCode" value="${value('promoCode')}"></div>
${orderButton ? html`<button type="submit">${t('buy.order')}</button>` : ''}
${person ? html` <button type="submit" name="pay" value="wallet">${t('buy.payWithWallet')}</button>` : ''}
${payment.onSite && person ? html` <button type="submit" name="pay" value="on_site" aria-describedby="on-site-hint">${t('onSite.pay')}</button><p class="hint" id="on-site-hint">${t('onSite.offer')}</p>` : ''}
${payment.onSite && !person ? html`<p class="hint">${t('onSite.loginFirst')} <a href="/login?next=${encodeURIComponent(`/events/${event.slug}#tickets`)}">${t('onSite.login')}</a></p>` : ''}
</form>
${person ? '' : html`<p class="hint"><a href="/login?next=${encodeURIComponent(`/events/${event.slug}`)}">${t('buy.loginToOrder')}</a> ${t('buy.loginWhy')}</p>`}
</section>`;
}

/**
 * The second step of a checkout with questions: the cart chosen on the event page (kept in hidden
 * fields), the buyer's details, and the venue's questions — once for the order and once per seat
 * for per-ticket questions — with each field's error beside it.
 */
export function checkoutDetailsForm(
  request: FastifyRequest,
  event: { id: string; slug: string },
  offers: DateOffers[],
  questions: Question[],
  lines: { priceId: string; eventDateId: string; quantity: unknown }[],
  state: { values?: Record<string, unknown>; errors?: FieldError[]; problem?: string },
): Html {
  const { t, lang, person } = request.ctx;
  const v = state.values ?? {};
  const errors = state.errors ?? [];
  const value = (name: string, fallback = '') => (typeof v[name] === 'string' ? (v[name] as string) : fallback);
  const hidden = Object.entries(v).filter(
    ([k, x]) => (k.startsWith('q.') || k.startsWith('a.') || k === 'promoCode' || k === 'pay') && typeof x === 'string',
  );
  const seats: { index: number; eventId: string; label: string }[] = [];
  for (const l of lines) {
    const date = offers.find((d) => d.dateId === l.eventDateId);
    const price = date?.prices.find((p) => p.id === l.priceId);
    const n =
      typeof l.quantity === 'string' && /^\d{1,3}$/.test(l.quantity)
        ? Number(l.quantity)
        : typeof l.quantity === 'number'
          ? l.quantity
          : 0;
    const label =
      date && price
        ? `${price.name}, ${new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium', timeStyle: 'short', timeZone: date.timezone }).format(date.startsAt)}`
        : '';
    for (let i = 0; i < Math.min(n, 100); i++) seats.push({ index: seats.length, eventId: event.id, label });
  }
  const fieldError = (name: string) => errors.filter((e) => formFieldOf(e.field) === name);
  const emailErrors = fieldError('email');
  const nameErrors = fieldError('name');
  return html`<section id="tickets" class="tickets" aria-labelledby="details-title">
<h2 id="details-title">${t('questions.detailsTitle')}</h2>
${state.problem ? html`<p class="alert" role="alert">${state.problem}</p>` : ''}
${errors.length ? html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: errors.length })}</p><ul>${errors.map((e) => html`<li><a href="#${formFieldOf(e.field) === 'email' ? 'order-email' : formFieldOf(e.field).replace(/\./g, '-')}">${t(`fields.${e.message}`, e.params)}</a></li>`)}</ul></div>` : ''}
<p>${t('questions.cart', { count: seats.length })} <a href="/events/${event.slug}#tickets">${t('questions.changeCart')}</a></p>
<form method="post" action="/events/${event.id}/order" novalidate>
${csrfField(request)}
<input type="hidden" name="_step" value="details">
${hidden.map(([k, x]) => html`<input type="hidden" name="${k}" value="${x as string}">`)}
<div class="row">
<div class="field"><label for="order-email">${t('labels.email')} <span aria-hidden="true">*</span></label><input id="order-email" name="email" type="email" autocomplete="email" required value="${value('email', person?.email ?? '')}"${emailErrors.length ? html` aria-invalid="true" aria-describedby="order-email-error"` : ''}>
${emailErrors.length ? html`<p class="error" id="order-email-error">${emailErrors.map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</div>
<div class="field"><label for="order-name">${t('labels.name')}</label><input id="order-name" name="name" autocomplete="name" value="${value('name', person?.name ?? '')}"${nameErrors.length ? html` aria-invalid="true"` : ''}></div>
</div>
${questionFields(request, questions, seats, v, errors)}
<button type="submit">${t('buy.order')}</button>
</form>
</section>`;
}
