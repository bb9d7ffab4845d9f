import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { csrfField } from '../http/forms.ts';
import { startTopUp } from './onlineTopUp.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { balancesOf } from './balancesOf.ts';
import { historyOf } from './historyOf.ts';
import { loadNodeKey } from './nodeKey.ts';
import { formatAmount, transparencyReport } from './transparency.ts';
import { balancesTable, historyTable } from './moneyViews.ts';
import { refundRoutes } from './refundRoutes.ts';
import { payRoutes } from './payRoutes.ts';
import { demoPaymentsOn } from '../payments/index.ts';
import { witnessingSection } from './witness/transparencySection.ts';

/** The pages of the ledger: "Mon portefeuille" (/wallet) and the public /transparency page. */
export async function ledgerPages(app: ModuleApp, options: ModuleOptions) {
  const { deps, info } = options;
  const { config, db, stripe } = deps;
  await refundRoutes(app, options);
  await payRoutes(app, options);

  app.get('/wallet', { schema: { hide: true } }, async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    const { t } = request.ctx;
    const query = request.query as { cursor?: string };
    const balances = await balancesOf(db, request.ctx.actor);
    const page = await historyOf(db, request.ctx.actor, {
      limit: 25,
      ...(typeof query.cursor === 'string' && query.cursor ? { cursor: query.cursor } : {}),
    });
    const euros = await db
      .selectFrom('ledger_currencies')
      .select(['code', 'name'])
      .where('kind', '=', 'federated_euro')
      .where('status', '=', 'active')
      .orderBy('code')
      .execute();
    const payment = ['paid', 'pending', 'refund_pending'].includes(
      String((request.query as { payment?: string }).payment),
    )
      ? String((request.query as { payment?: string }).payment)
      : null;
    const body = html`<section>
<h1>${t('ledger.wallet.title')}</h1>
<p>${t('ledger.wallet.intro')}</p>
${
  balances.length === 0
    ? html`<p>${t('ledger.wallet.empty')}</p>`
    : await balancesTable(request, db, balances, t('ledger.wallet.balances'))
}
<h2>${t('ledger.wallet.pay')}</h2>
<p>${t('ledger.wallet.payIntro')}</p>
<p><a class="button" href="/wallet/pay">${t('ledger.wallet.payButton')}</a></p>
<h2 id="top-up">${t('ledger.wallet.topUp')}</h2>
${payment ? html`<p class="notice" role="status">${t(`ledger.wallet.payment.${payment}`)}</p>` : ''}
${
  (stripe || demoPaymentsOn(config)) && euros.length > 0
    ? html`<form method="post" action="/wallet/top-up" class="inline-form">${csrfField(request)}
${euros.length === 1 ? html`<input type="hidden" name="currency" value="${euros[0]!.code}">` : html`<label for="currency">${t('ledger.currency')}</label> <select id="currency" name="currency">${euros.map((c) => html`<option value="${c.code}">${c.name}</option>`)}</select>`}
<label for="amount">${t('labels.amount')}</label> <input id="amount" name="amount" inputmode="decimal" required size="6" value="20">
<button type="submit">${t('ledger.wallet.topUpOnline')}</button></form>
<p class="hint">${t('ledger.wallet.topUpCash')}</p>`
    : html`<p>${t('ledger.wallet.topUpHelp')}</p>`
}
<h2>${t('ledger.wallet.history')}</h2>
${
  page.transfers.length === 0
    ? html`<p>${t('ledger.wallet.noHistory')}</p>`
    : await historyTable(request, db, {
        lines: balances,
        transfers: page.transfers,
        notes: options.sections.transferNotes,
        timeZone: config.timeZone,
      })
}
${page.nextCursor ? html`<p><a href="/wallet?cursor=${page.nextCursor}">${t('ledger.wallet.older')}</a></p>` : ''}
<p><a href="/transparency">${t('ledger.wallet.transparency')}</a></p>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('ledger.wallet.title'), body }));
  });

  app.post('/wallet/top-up', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const { url } = await startTopUp(db, stripe, deps.config, actorOf(request), {
      currencyCode: body.currency,
      amount: body.amount,
    });
    return reply.redirect(url, 303);
  });

  app.get('/transparency', { schema: { hide: true } }, async (request, reply) => {
    const { t, lang } = request.ctx;
    const report = await transparencyReport(db);
    const key = await loadNodeKey(db);
    const body = html`<section>
<h1>${t('ledger.transparency.title')}</h1>
<p>${t('ledger.transparency.intro')}</p>
${report.length === 0 ? html`<p>${t('ledger.transparency.empty')}</p>` : ''}
${report.map(
  (c) => html`<article class="card">
<h2>${c.name} <span class="mono">${c.code}</span></h2>
<p>${t(`ledger.currencyKinds.${c.kind}`)} · ${t('ledger.transparency.issuer', { issuer: c.issuer })}</p>
<dl>
<dt>${t('ledger.transparency.supply')}</dt><dd>${formatAmount(c.supply, c.decimals, lang)}</dd>
<dt>${t('ledger.transparency.holders')}</dt><dd>${c.holders}</dd>
${
  c.settlement
    ? html`<dt>${t('ledger.transparency.reserve')}</dt><dd>${formatAmount(c.settlement.held, 2, lang)} €</dd>
<dt>${t('settlement.transparency.inWallets')}</dt><dd>${formatAmount(c.settlement.inWallets, c.decimals, lang)}</dd>
<dt>${t('settlement.transparency.atVenues')}</dt><dd>${formatAmount(c.settlement.atVenues, c.decimals, lang)}</dd>
<dt>${t('settlement.transparency.owedToVenues')}</dt><dd>${formatAmount(c.settlement.owedToVenues, 2, lang)} €</dd>
<dt>${t('settlement.transparency.owedByVenues')}</dt><dd>${formatAmount(c.settlement.owedByVenues, 2, lang)} €</dd>
<dt>${t('settlement.transparency.covered')}</dt><dd>${t(
        c.settlement.held >=
          c.settlement.inWallets + c.settlement.atVenues + c.settlement.owedToVenues - c.settlement.owedByVenues
          ? 'settlement.transparency.coveredYes'
          : 'settlement.transparency.coveredNo',
      )}</dd>`
    : c.euroReserve !== null
      ? html`<dt>${t('ledger.transparency.reserve')}</dt><dd>${formatAmount(c.euroReserve, 2, lang)} €</dd>`
      : ''
}
<dt>${t('ledger.transparency.transfers')}</dt><dd>${c.transfers}</dd>
<dt>${t('ledger.transparency.checkpoint')}</dt>
<dd>${
    c.latestCheckpoint
      ? html`${t('ledger.transparency.checkpointAt', { position: c.latestCheckpoint.position, when: formatDateTime(lang, c.latestCheckpoint.signedAt, config.timeZone) })}<br><span class="mono">${c.latestCheckpoint.headHash}</span>`
      : t('ledger.transparency.noCheckpoint')
  }</dd>
</dl>
</article>`,
)}
${await witnessingSection(request, db, config)}
<h2>${t('ledger.transparency.howTitle')}</h2>
<ol>
<li>${t('ledger.transparency.how1')}</li>
<li>${t('ledger.transparency.how2')}</li>
<li>${t('ledger.transparency.how3')}</li>
</ol>
<p>${t('ledger.transparency.key')}</p>
<pre class="mono">${key.publicKeyPem}</pre>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('ledger.transparency.title'), body }));
  });
}
