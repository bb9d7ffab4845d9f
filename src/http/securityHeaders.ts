import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

/** Where a form of a page may send the person: this node, and Stripe's hosted checkout (a 303 after the form). */
function formTargets(config: Config): string {
  const targets = ["'self'", 'https://checkout.stripe.com'];
  if (config.stripeApiUrl) targets.push(new URL(config.stripeApiUrl).origin);
  return targets.join(' ');
}

/**
 * The Content-Security-Policy of every HTML page of the node: scripts only from its own files (no
 * inline script, no event handler attribute, no eval), styles from its own files or a `<style>` block
 * carrying this answer's nonce (no style attribute), nothing framed from elsewhere, no plugins, no
 * `<base>` rewriting, forms only to the node (and Stripe's checkout). A route that needs otherwise
 * (the embeddable agenda, the API's documentation) sets its own policy, which is kept. `imgHosts`: the
 * few pages that show images from a named host (an event's map tiles) add that host, and only it.
 */
export function contentSecurityPolicy(config: Config, nonce: string, options: { imgHosts?: string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    ["img-src 'self'", ...(options.imgHosts ?? [])].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    `form-action ${formTargets(config)}`,
  ].join('; ');
}

/**
 * Safe defaults for every answer. A route that needs otherwise (the embeddable widget may be framed
 * by other sites) sets its own header, which is kept.
 */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply, config: Config) {
  if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'strict-origin-when-cross-origin');
  if (!reply.hasHeader('x-frame-options') && !reply.hasHeader('content-security-policy'))
    reply.header('x-frame-options', 'SAMEORIGIN');
  const type = String(reply.getHeader('content-type') ?? '');
  if (type.startsWith('text/html') && !reply.hasHeader('content-security-policy') && request.ctx)
    reply.header('content-security-policy', contentSecurityPolicy(config, request.ctx.cspNonce));
  if (config.baseUrl.startsWith('https:') && !reply.hasHeader('strict-transport-security'))
    reply.header('strict-transport-security', 'max-age=15552000');
}
