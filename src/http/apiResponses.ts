import type { RouteOptions } from 'fastify';
import { problemResponse } from './schemas.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The problem statuses an API route can answer whatever its own rules, because of what stands in
 * front of every handler:
 * - 400 an address whose percent-encoding is not UTF-8, a NUL or lone surrogate (http/inputGuard.ts),
 *   an unreadable body; 401 a Bearer key that is not valid (http/context.ts, on any route);
 *   500 an unexpected error; 503 the node is stopping (return503OnClosing) — every route;
 * - 404 (nothing by that name) and 414 (an identifier longer than the router reads): a path with parameters;
 * - 422 (the schema refuses a value): a route that reads parameters, a query string or a body;
 * - 403 (CSRF token missing for a session), 413 (body too large), 415 (content type not read): a method with a body;
 * - 429: a rate-limited route.
 */
export function commonProblemStatuses(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>): number[] {
  const statuses = new Set([400, 401, 500, 503]);
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const schema = route.schema ?? {};
  if (route.url.includes(':')) [404, 414, 422].forEach((s) => statuses.add(s));
  if (schema.params || schema.querystring || schema.body) statuses.add(422);
  if (methods.some((m) => UNSAFE.has(m))) [403, 413, 415].forEach((s) => statuses.add(s));
  if ((route.config as { rateLimit?: unknown } | undefined)?.rateLimit) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

/**
 * `onRoute` hook for /api/ routes: every error status of the response schema is a problem under
 * application/problem+json (a route's own problem schema is kept, moved under that content type),
 * and the common statuses above are added. The OpenAPI document and the serializer both read it.
 */
export function documentProblems(route: RouteOptions) {
  if (!route.url.startsWith('/api/') || !route.schema || route.schema.hide) return;
  const response = { ...((route.schema.response ?? {}) as Record<string, unknown>) };
  for (const [status, schema] of Object.entries(response)) {
    if (Number(status) < 400) continue;
    const s = schema as { content?: unknown; description?: string };
    if (!s.content) response[status] = problemResponse(schema, s.description);
  }
  for (const status of commonProblemStatuses(route)) response[status] ??= problemResponse();
  route.schema = { ...route.schema, response };
}
