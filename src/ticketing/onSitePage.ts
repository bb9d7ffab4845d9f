/** The views of payment on site: the venue's setting, and the list of orders to collect with "Marquer payé". */
import type { FastifyRequest } from 'fastify';
import { csrfField, errorSummary, input, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { ON_SITE_METHODS } from '../payments/index.ts';
import { formatEuros } from '../shared/money.ts';
import type { FieldError } from '../shared/errors.ts';
import type { OnSiteHold } from './onSiteOrders.ts';

/** The setting's form (a venue-wide setting, shown on each event's ticketing page). */
export function onSiteSettingSection(
  request: FastifyRequest,
  action: string,
  setting: { holdHours: number | null } | null,
  form: FormState | undefined,
): Html {
  const { t } = request.ctx;
  const state: FormState = form ?? {
    values: { onSiteEnabled: setting ? 'yes' : '', holdHours: setting?.holdHours ?? '' },
    errors: [],
  };
  const status = !setting
    ? t('onSite.settingOff')
    : setting.holdHours === null
      ? t('onSite.settingOnUntilDate')
      : t('onSite.settingOn', { hours: setting.holdHours });
  return html`<h2 id="on-site">${t('onSite.settingTitle')}</h2>
<p class="hint">${t('onSite.settingIntro')}</p>
<p><strong>${status}</strong></p>
${errorSummary(request, state)}
<form method="post" action="${action}" novalidate>${csrfField(request)}
<label class="check"><input type="checkbox" name="onSiteEnabled" value="yes"${state.values.onSiteEnabled === 'yes' ? html` checked` : ''}> ${t('labels.onSiteEnabled')}</label>
${input(request, state, 'holdHours', { hint: t('onSite.holdHint'), attrs: html` inputmode="numeric" maxlength="4"` })}
<button type="submit">${t('forms.save')}</button></form>`;
}

/** Where a "Marquer payé" form came from, so that its answer goes back there. */
export interface MarkPaidFrom {
  from: 'door' | 'admin';
  eventId: string;
}

/**
 * The event's orders to collect, each with the method and "Marquer payé". `error` is the order whose
 * form was refused, with its field errors (shown beside its method).
 */
export function unpaidOrdersSection(
  request: FastifyRequest,
  slug: string,
  orders: OnSiteHold[],
  origin: MarkPaidFrom,
  timezone: string,
  error?: { orderId: string; errors: FieldError[] },
): Html {
  const { t, lang } = request.ctx;
  if (orders.length === 0) return html`<p>${t('onSite.none')}</p>`;
  return html`<ul class="cards on-site-orders">${orders.map((o) => {
    const id = `method-${o.orderId}`;
    const errs = error?.orderId === o.orderId ? error.errors : [];
    return html`<li class="card"><h3>${o.holderName || o.email} · ${formatEuros(o.totalCents, lang)}</h3>
<p>${o.reference} · ${o.email}</p>
<p class="hint">${t('onSite.deadline', { deadline: formatDateTime(lang, o.deadline, timezone) })}</p>
<form method="post" action="/venues/${slug}/orders/${o.orderId}/paid-on-site" class="inline-form" novalidate>${csrfField(request)}
<input type="hidden" name="from" value="${origin.from}"><input type="hidden" name="eventId" value="${origin.eventId}"><input type="hidden" name="ref" value="${o.reference}">
<label for="${id}">${t('labels.method')}</label>
<select id="${id}" name="method"${errs.length ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${ON_SITE_METHODS.map((m) => html`<option value="${m}">${t(`ticketAdmin.method.${m}`)}</option>`)}</select>
<button type="submit">${t('onSite.markPaid')}</button>
${errs.length ? html`<p class="error" id="${id}-error">${errs.map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</form></li>`;
  })}</ul>`;
}

/** The search of the list at the door: by name, reference or address. */
export function unpaidSearch(request: FastifyRequest, action: string, q: string): Html {
  const { t } = request.ctx;
  return html`<form method="get" action="${action}" role="search" class="inline-form"><label for="on-site-q">${t('onSite.searchLabel')}</label>
<input id="on-site-q" name="q" type="search" maxlength="100" value="${q}"> <button type="submit">${t('onSite.search')}</button></form>`;
}
