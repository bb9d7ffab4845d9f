import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { csrfField } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import type { FieldError } from '../shared/errors.ts';
import { formatEuros } from '../shared/money.ts';
import { offersOf, type DateOffers, type PriceOffer } from './offers.ts';

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
 * The "Billets" section of an event page: each date with its prices, places left, a quantity per
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
): Html {
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
    (d) => html`<fieldset><legend>${new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: d.timezone }).format(d.startsAt)}</legend>
${d.prices.map((p) => {
      const q = quantityField(p.id, d.dateId);
      const max = Math.min(p.perOrderLimit, p.remaining ?? p.perOrderLimit);
      const left = p.remaining === null ? '' : p.remaining === 0 ? t('buy.soldOut') : t('buy.left', { count: p.remaining });
      return html`<div class="row ticket-price"><div class="field"><label for="${q}">${p.name} — ${priceLabel(request, p)}</label>
${left ? html`<p class="hint">${left}</p>` : ''}
${!p.onSale ? html`<p class="hint">${t('buy.notOnSale')}</p>` : max > 0
  ? html`<select id="${q}" name="${q}">${Array.from({ length: max + 1 }, (_, n) => html`<option value="${n}"${String(n) === value(q, '0') ? html` selected` : ''}>${n}</option>`)}</select>`
  : ''}</div>
${p.kind === 'pay_what_you_want' && p.onSale && max > 0 ? html`<div class="field"><label for="${amountField(p.id, d.dateId)}">${t('buy.amountEach')}</label><input id="${amountField(p.id, d.dateId)}" name="${amountField(p.id, d.dateId)}" inputmode="decimal" value="${value(amountField(p.id, d.dateId), (Math.max(p.minPriceCents, p.priceCents) / 100).toFixed(2))}"></div>` : ''}</div>`;
    })}
</fieldset>`,
  )}
<div class="row">
<div class="field"><label for="order-email">${t('labels.email')} *</label><input id="order-email" name="email" type="email" autocomplete="email" required value="${value('email', person?.email ?? '')}"></div>
<div class="field"><label for="order-name">${t('labels.name')}</label><input id="order-name" name="name" autocomplete="name" value="${value('name', person?.name ?? '')}"></div>
</div>
<div class="field"><label for="order-promo">${t('labels.promoCode')}</label><input id="order-promo" name="promoCode" value="${value('promoCode')}"></div>
<button type="submit">${t('buy.order')}</button>
</form>
</section>`;
}
