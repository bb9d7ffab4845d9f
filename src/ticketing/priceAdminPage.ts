import type { FastifyRequest } from 'fastify';
import { csrfField, input, select, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { decimalSeparator, type Language } from '../i18n/i18n.ts';
import { formatEuros } from '../shared/money.ts';
import type { VatDefaults } from '../places/index.ts';
import { localInputValue } from '../agenda/index.ts';
import type { AdminPrice } from './eventAdmin.ts';

export const PRICE_KINDS = ['fixed', 'free', 'pay_what_you_want', 'member_only'] as const;

/** A VAT rate in basis points as typed in the form: 210 → "2,1", 2000 → "20". */
export const vatText = (bp: number, lang: Language) => String(bp / 100).replace('.', decimalSeparator(lang));

const euros = (cents: number, lang: Language) =>
  cents ? (cents / 100).toFixed(2).replace('.', decimalSeparator(lang)) : '';

/** A price's stored fields as the values of its edit form (dates in the venue's zone). */
export function priceFormValues(p: AdminPrice, timeZone: string, lang: Language): Record<string, unknown> {
  return {
    name: p.name,
    kind: p.kind,
    price: euros(p.price_cents, lang),
    minPrice: euros(p.min_price_cents, lang),
    stock: p.stock === null ? '' : String(p.stock),
    perOrderLimit: String(p.per_order_limit),
    perPersonLimit: p.per_person_limit === null ? '' : String(p.per_person_limit),
    salesOpenAt: localInputValue(p.sales_open_at, timeZone),
    salesCloseAt: localInputValue(p.sales_close_at, timeZone),
    vatRate: vatText(p.vat_rate_bp, lang),
  };
}

/** The fields of a price (new or edited), with the venue's default VAT rates said beside the rate. */
export function priceFields(request: FastifyRequest, form: FormState, vat: VatDefaults | null, city: string): Html {
  const { t, lang } = request.ctx;
  const vatHint = vat
    ? t('ticketAdmin.vatDefault', { city, show: vatText(vat.showBp, lang), standard: vatText(vat.standardBp, lang) })
    : t('ticketAdmin.vatNoDefault');
  return html`${input(request, form, 'name', { required: true })}
<div class="row">${select(
    request,
    form,
    'kind',
    PRICE_KINDS.map((k) => ({ value: k, label: t(`ticketAdmin.kind.${k}`) })),
  )}
${input(request, form, 'price', { attrs: html` inputmode="decimal"` })}${input(request, form, 'minPrice', { attrs: html` inputmode="decimal"` })}</div>
<div class="row">${input(request, form, 'stock', { attrs: html` inputmode="numeric"` })}${input(request, form, 'perOrderLimit', { attrs: html` inputmode="numeric"` })}${input(request, form, 'perPersonLimit', { attrs: html` inputmode="numeric"` })}</div>
<div class="row">${input(request, form, 'salesOpenAt', { type: 'datetime-local' })}${input(request, form, 'salesCloseAt', { type: 'datetime-local' })}</div>
${input(request, form, 'vatRate', { hint: vatHint, attrs: html` inputmode="decimal"` })}`;
}

function priceAmount(request: FastifyRequest, p: AdminPrice): string {
  const { t, lang } = request.ctx;
  if (p.kind === 'free') return t('ticketAdmin.kind.free');
  if (p.kind === 'pay_what_you_want')
    return `${t('ticketAdmin.kind.pay_what_you_want')} ≥ ${formatEuros(p.min_price_cents, lang)}`;
  return formatEuros(p.price_cents, lang);
}

/**
 * The event's prices, each with what may still be done with it (invariant 22): edited or deleted
 * while nobody ordered it; closed (or reopened) once someone did.
 */
export function pricesSection(request: FastifyRequest, base: string, prices: AdminPrice[]): Html {
  const { t, lang } = request.ctx;
  if (prices.length === 0) return html``;
  const state = (p: AdminPrice) => (!p.active ? 'closed' : p.ordered ? 'locked' : 'editable');
  return html`<h2 id="prices">${t('ticketAdmin.prices')}</h2>
<p class="hint">${t('ticketAdmin.rules')}</p>
<ul class="cards">${prices.map(
    (
      p,
    ) => html`<li class="card price-item" id="price-${p.id}"><p><strong>${p.name}</strong> — ${priceAmount(request, p)} · ${t('ticketAdmin.vat')} ${vatText(p.vat_rate_bp, lang)} % · ${t('ticketAdmin.heldOrSold')} ${p.taken}${p.stock === null ? '' : html` / ${p.stock}`}</p>
<p class="price-state price-state-${state(p)}">${t(`ticketAdmin.priceState.${p.ordered ? 'locked' : 'editable'}`)}${p.active ? '' : html` · <strong>${t('ticketAdmin.priceState.closed')}</strong>`}</p>
<div class="actions">${
      p.ordered
        ? ''
        : html`<a class="button" href="${base}/prices/${p.id}">${t('ticketAdmin.editPrice')}<span class="visually-hidden"> — ${p.name}</span></a>
<form method="post" action="${base}/prices/${p.id}/delete" class="inline">${csrfField(request)}<button type="submit" class="danger">${t('ticketAdmin.deletePrice')}<span class="visually-hidden"> — ${p.name}</span></button></form>`
    }
<form method="post" action="${base}/prices/${p.id}/${p.active ? 'close' : 'reopen'}" class="inline">${csrfField(request)}<button type="submit"${p.active ? html` class="secondary"` : ''}>${p.active ? t('ticketAdmin.closePrice') : t('ticketAdmin.reopenPrice')}<span class="visually-hidden"> — ${p.name}</span></button></form></div></li>`,
  )}</ul>`;
}
