import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { submitForm, venueFor } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, type FormState } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { adminNav } from '../places/index.ts';
import type { Place } from '../places/index.ts';
import { FieldErrors } from '../shared/errors.ts';
import { parseEuros } from '../shared/money.ts';
import { refundLimitsOf, recentRefunds } from './refundLimits.ts';
import { setRefundLimits } from './setRefundLimits.ts';
import { formatAmount } from './transparency.ts';

/**
 * The venue admin's "Refunds" page: the limits on money leaving the venue's accounts (per refund, per
 * 24 hours, per currency) and the latest refunds and payouts (docs/LEDGER.md, "Refunds and payouts").
 */
export async function refundRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db } = deps;

  const adminPlace = venueFor(db, 'place.settings');

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    form: FormState | null,
    status = 200,
    notice?: string,
  ) {
    const { t, lang } = request.ctx;
    const limits = await refundLimitsOf(db, place.id);
    const shown =
      form ??
      emptyForm({
        perOperation: formatAmount(limits.perOperation, 2, lang),
        perDay: formatAmount(limits.perDay, 2, lang),
      });
    const recent = await recentRefunds(db, place.id);
    const body = html`<section>
${adminNav(request, place, 'refunds')}
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>${t('ledger.refunds.intro')}</p>
<p>${t('ledger.refunds.who')}</p>
<h2>${t('ledger.refunds.limits')}</h2>
<p class="hint">${limits.isDefault ? t('ledger.refunds.defaults') : t('ledger.refunds.own')}</p>
${errorSummary(request, shown)}
<form method="post" action="/venues/${place.slug}/admin/refunds" novalidate>
${csrfField(request)}
${input(request, shown, 'perOperation', { required: true, hint: t('ledger.refunds.perOperationHint'), attrs: html` inputmode="decimal" autocomplete="off"` })}
${input(request, shown, 'perDay', { required: true, hint: t('ledger.refunds.perDayHint'), attrs: html` inputmode="decimal" autocomplete="off"` })}
<button type="submit">${t('forms.save')}</button>
</form>
<h2>${t('ledger.refunds.recent')}</h2>
${
  recent.length === 0
    ? html`<p>${t('ledger.refunds.none')}</p>`
    : html`<div class="table-scroll"><table class="list">
<thead><tr><th scope="col">${t('ledger.when')}</th><th scope="col">${t('ledger.kind')}</th><th scope="col" class="num">${t('ledger.amount')}</th></tr></thead>
<tbody>${recent.map((r) => html`<tr><td>${formatDateTime(lang, r.createdAt, place.timezone)}</td><td>${t(`ledger.kinds.${r.kind}`)}</td><td class="num">${formatAmount(r.amount, r.decimals, lang)} <span class="mono">${r.currencyCode}</span></td></tr>`)}</tbody>
</table></div>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('admin.titles.refunds'), body }), status);
  }

  app.get('/venues/:slug/admin/refunds', { schema: { hide: true } }, async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? page(request, reply, place, null) : reply;
  });

  app.post('/venues/:slug/admin/refunds', { schema: { hide: true } }, async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const values = (request.body ?? {}) as Record<string, unknown>;
    // Typed as amounts with two decimals ("100", "100,00"): hundredths of each currency's unit.
    const errors = new FieldErrors();
    const amount = (field: string) => {
      const cents = typeof values[field] === 'string' ? parseEuros(values[field]) : null;
      if (cents === null) errors.add(field, 'ledger.refund-limit-format');
      return cents;
    };
    const perOperation = amount('perOperation');
    const perDay = amount('perDay');
    return submitForm(reply, {
      run: async () => {
        errors.throwIfAny();
        await setRefundLimits(db, actorOf(request), { slug: place.slug, perOperation, perDay });
      },
      done: () => page(request, reply, place, null, 200, request.ctx.t('ledger.refunds.saved')),
      invalid: (fields) => page(request, reply, place, { values, errors: fields }, 422),
    });
  });
}
