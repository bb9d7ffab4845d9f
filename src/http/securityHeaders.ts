import type { FastifyReply } from 'fastify';
import type { Config } from '../config.ts';

/**
 * Safe defaults for every answer. A route that needs otherwise (the embeddable widget may be framed
 * by other sites) sets its own header, which is kept.
 */
export function applySecurityHeaders(reply: FastifyReply, config: Config) {
  if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'strict-origin-when-cross-origin');
  if (!reply.hasHeader('x-frame-options') && !reply.hasHeader('content-security-policy'))
    reply.header('x-frame-options', 'SAMEORIGIN');
  if (config.baseUrl.startsWith('https:') && !reply.hasHeader('strict-transport-security'))
    reply.header('strict-transport-security', 'max-age=15552000');
}
