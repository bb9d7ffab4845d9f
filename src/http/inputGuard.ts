import type { FastifyInstance } from 'fastify';
import { DomainError } from '../shared/errors.ts';

/**
 * What no text can hold: NUL (PostgreSQL refuses `\u0000` in text and jsonb: the query fails, a 500),
 * and a lone UTF-16 surrogate (not a character at all: encoded for the database it silently becomes
 * U+FFFD). With the `u` flag a surrogate pair is one code point, so only a lone half matches.
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/** True when a string, a key or a nested value of `value` holds such a character (walked without recursion). */
export function hasUnstorableText(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return true;
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, inner] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) return true;
        stack.push(inner);
      }
    }
  }
  return false;
}

/**
 * One check at the edge for every route and form: path parameters, query string and body (JSON,
 * form or multipart fields), after parsing and before anything reads them, refused with
 * `400 invalid-characters`. Registered before the routes, so it holds for each of them.
 */
export function registerInputGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (hasUnstorableText(request.params) || hasUnstorableText(request.query) || hasUnstorableText(request.body))
      throw new DomainError('invalid-characters', 400);
  });
}
