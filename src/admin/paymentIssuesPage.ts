import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { getPerson } from '../accounts/index.ts';
import { html, type Html } from '../http/html.ts';
import { listHolderDebts } from '../ledger/index.ts';
import { listPaymentIssues } from '../payments/index.ts';
import { formatEuros } from '../shared/money.ts';
import { localeOf } from '../i18n/i18n.ts';

/**
 * The body of /admin/payments (node operators): holders' debts (docs/LEDGER.md rule 5), open
 * disputes, and refunds that need a person (docs/PAYMENTS.md invariants 8, 9). The federation's
 * treasurers see their federation's debts on its settlement page (/settlement/<federation>).
 */
export async function paymentIssuesPage(db: Db, actor: Actor, request: FastifyRequest): Promise<Html> {
  const { t, lang } = request.ctx;
  const [debts, issues] = await Promise.all([listHolderDebts(db, actor, {}), listPaymentIssues(db, actor)]);
  const emails = new Map<string, string>();
  for (const id of new Set(debts.flatMap((d) => (d.personId ? [d.personId] : []))))
    emails.set(id, (await getPerson(db, id))?.email ?? id);
  const date = (d: Date) => d.toLocaleDateString(localeOf(lang));
  const euros = (cents: number) => formatEuros(cents, lang);
  const head = (...keys: string[]) =>
    html`<thead><tr>${keys.map((k) => html`<th scope="col">${t(k)}</th>`)}</tr></thead>`;
  return html`<section>
<h1>${t('paymentIssues.title')}</h1>
<p>${t('paymentIssues.intro')}</p>
<h2>${t('paymentIssues.debts', { count: debts.length })}</h2>
${
  debts.length === 0
    ? html`<p>${t('paymentIssues.none')}</p>`
    : html`<div class="table-scroll"><table class="list">${head('paymentIssues.holder', 'paymentIssues.currency', 'paymentIssues.amount', 'paymentIssues.why', 'paymentIssues.reference', 'paymentIssues.date')}
<tbody>${debts.map(
        (d) =>
          html`<tr><td>${d.personId ? emails.get(d.personId) : d.accountId}</td><td>${d.currencyCode}</td><td>${euros(d.amountCents)}</td><td>${t(`paymentIssues.why.${d.reason}`)}</td><td><code>${d.reference}</code></td><td>${date(d.createdAt)}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>${t('paymentIssues.disputes', { count: issues.disputes.length })}</h2>
${
  issues.disputes.length === 0
    ? html`<p>${t('paymentIssues.none')}</p>`
    : html`<div class="table-scroll"><table class="list">${head('paymentIssues.reference', 'paymentIssues.purpose', 'paymentIssues.amount', 'paymentIssues.status', 'paymentIssues.why', 'paymentIssues.date')}
<tbody>${issues.disputes.map(
        (d) =>
          html`<tr><td><code>${d.disputeId}</code></td><td>${d.purpose}</td><td>${euros(d.amountCents)}</td><td>${d.status}</td><td>${d.reason}</td><td>${date(d.createdAt)}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>${t('paymentIssues.refunds', { count: issues.refunds.length })}</h2>
${
  issues.refunds.length === 0
    ? html`<p>${t('paymentIssues.none')}</p>`
    : html`<div class="table-scroll"><table class="list">${head('paymentIssues.purpose', 'paymentIssues.amount', 'paymentIssues.origin', 'paymentIssues.status', 'paymentIssues.attempts', 'paymentIssues.error', 'paymentIssues.date')}
<tbody>${issues.refunds.map(
        (r) =>
          html`<tr><td>${r.purpose}</td><td>${euros(r.amountCents)}</td><td>${t(`paymentIssues.origin.${r.origin}`)}</td><td>${r.status}</td><td>${r.attempts}</td><td>${r.error ?? ''}</td><td>${date(r.createdAt)}</td></tr>`,
      )}</tbody></table></div>`
}
</section>`;
}
