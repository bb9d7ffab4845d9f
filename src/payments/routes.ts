import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { DomainError } from '../shared/errors.ts';
import { demoPaymentRoutes } from './demoRoutes.ts';
import { handleStripeWebhook, type WebhookEndpoint } from './handleStripeWebhook.ts';
import { sendPendingRefunds } from './sendPendingRefunds.ts';
import { syncCheckoutReturn } from './syncCheckoutReturn.ts';

/** Stripe webhooks and the browser's return from Checkout. */
export async function paymentRoutes(app: ModuleApp, options: ModuleOptions) {
  const { config, db, stripe } = options.deps;
  await demoPaymentRoutes(app, options);

  // The webhook's signature covers the exact bytes Stripe sent: keep the raw body for this route
  // (this parser is registered inside this plugin only, so other routes still get parsed JSON).
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 1_048_576 }, (_req, body, done) =>
      done(null, body),
    );
    // Two endpoints, each with its own signing secret: the platform's own account, and the Connect
    // endpoint of the venues' accounts (docs/PAYMENTS.md, "Stripe events").
    const endpoints: [string, WebhookEndpoint][] = [
      ['/webhooks/stripe', 'platform'],
      ['/webhooks/stripe/connect', 'connect'],
    ];
    for (const [url, endpoint] of endpoints)
      scope.post(url, { config: { csrf: false } }, async (request, reply) => {
        const signature = request.headers['stripe-signature'];
        if (!Buffer.isBuffer(request.body)) throw new DomainError('bad-request', 400);
        const outcome = await handleStripeWebhook(db, stripe, config, {
          rawBody: request.body,
          signature: typeof signature === 'string' ? signature : undefined,
          endpoint,
        });
        const fields = {
          eventId: outcome.event.id,
          type: outcome.event.type,
          account: outcome.event.account,
          endpoint,
        };
        if (outcome.result === 'ignored') request.log.info({ ...fields, note: outcome.note }, 'stripe event ignored');
        else request.log.debug({ ...fields, result: outcome.result }, 'stripe event');
        // A refund queued by this event goes out after its transaction committed (the others are
        // retried by the housekeeping every 30 s).
        if (outcome.refundQueued)
          setImmediate(
            () => void sendPendingRefunds(db, stripe).catch((err) => request.log.error({ err }, 'refunds failed')),
          );
        return reply.send({ received: true, result: outcome.result });
      });
  });

  app.get('/payments/:id/return', async (request, reply) => {
    const { id } = request.params as { id: string };
    const { status, returnPath } = await syncCheckoutReturn(db, stripe, config, id);
    if (status === 'refund_pending')
      setImmediate(
        () => void sendPendingRefunds(db, stripe).catch((err) => request.log.error({ err }, 'refunds failed')),
      );
    // The query goes before any #fragment, or the browser would keep it out of the request.
    const [path = '/', fragment] = returnPath.split('#');
    const separator = path.includes('?') ? '&' : '?';
    return reply.redirect(
      `${path}${separator}payment=${encodeURIComponent(status)}${fragment ? `#${fragment}` : ''}`,
      303,
    );
  });
}
