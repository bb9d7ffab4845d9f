import type { FastifyReply } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { csrfField } from '../http/forms.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { formatEuros } from '../shared/money.ts';
import { cancelDemoPayment, findDemoPayment, payDemoPayment } from './demoCheckout.ts';
import { purposeOf } from './purposes.ts';

/**
 * The demo provider's page (docs/PAYMENTS.md, "Demo provider"): what Stripe Checkout is for a node
 * with Stripe. Every route answers 404 unless `config.demoPayments` (never in production).
 */
export async function demoPaymentRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db } = deps;
  const back = (reply: FastifyReply, { status, returnPath }: { status: string; returnPath: string }) => {
    // As the return from Checkout (routes.ts): the query goes before any #fragment.
    const [path = '/', fragment] = returnPath.split('#');
    const separator = path.includes('?') ? '&' : '?';
    return reply.redirect(
      `${path}${separator}payment=${encodeURIComponent(status)}${fragment ? `#${fragment}` : ''}`,
      303,
    );
  };

  app.get('/payments/:id/demo', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const payment = await findDemoPayment(db, config, request.ctx.actor ?? null, id);
    const { t, lang } = request.ctx;
    const open = payment.status === 'pending' || payment.status === 'expired';
    const body = html`<section class="narrow">
<h1>${t('payments.demo.title')}</h1>
<p class="notice" role="note">${t('payments.demo.intro')}</p>
<dl>
<dt>${t('payments.demo.what')}</dt><dd>${payment.metadata.label ?? payment.purpose}</dd>
<dt>${t('payments.demo.amount')}</dt><dd>${formatEuros(payment.amount_cents, lang)}</dd>
</dl>
${
  open
    ? html`<form method="post" action="/payments/${payment.id}/demo/pay" class="inline-form">${csrfField(request)}<button type="submit">${t('payments.demo.pay')}</button></form>
<form method="post" action="/payments/${payment.id}/demo/cancel" class="inline-form">${csrfField(request)}<button type="submit">${t('payments.demo.cancel')}</button></form>`
    : html`<p role="status">${t('payments.demo.status', { status: payment.status })}</p>
<p><a class="button" href="${purposeOf(payment.purpose).returnPath(payment)}">${t('payments.demo.back')}</a></p>`
}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('payments.demo.title'), body }));
  });

  app.post('/payments/:id/demo/pay', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    return back(reply, await payDemoPayment(db, config, request.ctx.actor ?? null, id));
  });

  app.post('/payments/:id/demo/cancel', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    return back(reply, await cancelDemoPayment(db, config, request.ctx.actor ?? null, id));
  });
}
