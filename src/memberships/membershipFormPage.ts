import type { FastifyRequest } from 'fastify';
import { csrfField } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { decimalSeparator, localeOf, type Language } from '../i18n/i18n.ts';
import { formatEuros } from '../shared/money.ts';
import type { Place } from '../places/index.ts';
import { dayOfYearText, type MembershipTerms } from './lateRule.ts';
import type { MembershipProduct } from './products.ts';
import type { Day } from './validity.ts';

/** A calendar day in the reader's language ("31 décembre 2027"): a day has no zone, so it is read as UTC. */
export function dayText(lang: Language, day: Day): string {
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(`${day}T12:00:00Z`),
  );
}

/** The price of a product on a day, late rule applied. */
export function termsPriceText(request: FastifyRequest, p: MembershipProduct, terms: MembershipTerms): string {
  const { t, lang } = request.ctx;
  if (p.priceKind === 'free') return t('memberships.free');
  if (p.priceKind === 'pay_what_you_want')
    return t('memberships.pwyw', { min: formatEuros(terms.minPriceCents, lang) });
  return formatEuros(terms.priceCents, lang);
}

/** "Valid from … to …" and, when the late rule applied, why. */
export function termsText(request: FastifyRequest, p: MembershipProduct, terms: MembershipTerms): Html {
  const { t, lang } = request.ctx;
  const period = terms.endsOn
    ? t('memberships.form.period', { from: dayText(lang, terms.startsOn), to: dayText(lang, terms.endsOn) })
    : t('memberships.form.periodLifetime', { from: dayText(lang, terms.startsOn) });
  const why =
    terms.applied === 'none' || !p.lateFrom
      ? ''
      : t(`memberships.form.applied.${terms.applied}`, {
          from: dayOfYearText(p.lateFrom),
          full: formatEuros(p.priceCents, lang),
        });
  return html`${period}${why ? html`<br><small>${why}</small>` : ''}`;
}

/**
 * The membership form of one product: what the buyer gets — validity dates and price of today, the
 * late-year rule applied — shown BEFORE paying, then the buttons that pay (docs/MEMBERSHIPS.md).
 */
export function membershipFormPage(
  request: FastifyRequest,
  place: Place,
  p: MembershipProduct,
  terms: MembershipTerms,
  state: { amount?: string; error?: string } = {},
): Html {
  const { t, lang, person } = request.ctx;
  const suggested = (Math.max(terms.priceCents, terms.minPriceCents) / 100)
    .toFixed(2)
    .replace('.', decimalSeparator(lang));
  return html`<section class="narrow">
<p class="breadcrumb"><a href="/venues/${place.slug}#memberships">${place.name}</a></p>
<h1>${t('memberships.form.title', { name: p.name })}</h1>
${p.description ? html`<p>${p.description}</p>` : ''}
<dl class="summary">
<dt>${t('memberships.form.validity')}</dt><dd id="membership-period">${termsText(request, p, terms)}</dd>
<dt>${t('memberships.form.price')}</dt><dd id="membership-price"><strong>${termsPriceText(request, p, terms)}</strong></dd>
${p.requiresApproval ? html`<dt>${t('memberships.approval')}</dt><dd>${t('memberships.form.approvalHint')}</dd>` : ''}
</dl>
${state.error ? html`<p class="alert" role="alert" id="amount-error">${state.error}</p>` : ''}
<form method="post" action="/venues/${place.slug}/memberships/${p.id}">${csrfField(request)}
${
  p.priceKind === 'pay_what_you_want'
    ? html`<div class="field"><label for="amount">${t('labels.amount')}</label><input id="amount" name="amount" inputmode="decimal" required value="${state.amount ?? suggested}"${state.error ? html` aria-invalid="true" aria-describedby="amount-error"` : ''}></div>`
    : ''
}
<button type="submit">${p.priceKind === 'free' ? t('memberships.form.confirm') : t('memberships.form.pay')}</button>${p.priceKind !== 'free' && person ? html` <button type="submit" name="pay" value="wallet">${t('memberships.payWithWallet')}</button>` : ''}
</form>
</section>`;
}
