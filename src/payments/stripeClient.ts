import Stripe from 'stripe';
import type { Config } from '../config.ts';

/**
 * The official Stripe SDK, configured from the node's settings, or null when online payments are
 * off. `REZO_STRIPE_API_URL` points it at another server (the tests' fake Stripe). Retries are the
 * SDK's own, safe because every write carries an idempotency key.
 */
export function createStripe(config: Config): Stripe | null {
  if (!config.stripeSecretKey) return null;
  const api = config.stripeApiUrl ? new URL(config.stripeApiUrl) : null;
  return new Stripe(config.stripeSecretKey, {
    maxNetworkRetries: 2,
    timeout: 15_000,
    telemetry: false,
    appInfo: { name: 'Rezo', url: 'https://rezo.localhost' },
    ...(api
      ? {
          host: api.hostname,
          port: Number(api.port || (api.protocol === 'https:' ? 443 : 80)),
          protocol: api.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}
