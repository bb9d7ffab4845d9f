import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { DomainError, RetryLater, type FieldError } from '../shared/errors.ts';
import { busy, isLockTimeout } from '../db/locks.ts';
import { translator } from '../i18n/i18n.ts';
import { html } from './html.ts';
import { anonymousContext } from './context.ts';
import { applySecurityHeaders } from './securityHeaders.ts';
import { layout, sendHtml, type LayoutInfo } from './layout.ts';

/** RFC 9457 problem details, as sent by the API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** For validation problems: each input at fault, with a message in the person's language. */
  errors?: { field: string; code: string; message: string }[];
}

/** Does the client want JSON (API paths, or an Accept header that prefers it)? */
export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/') || request.url.startsWith('/webhooks/')) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') || accept.includes('application/problem+json');
}

/** Maps Ajv (schema) errors to fields: "/name" or the missing property. */
function ajvFields(error: FastifyError): FieldError[] {
  const all = (error.validation ?? []) as { instancePath: string; keyword: string; params: Record<string, unknown> }[];
  // A value that may be "a number or null" fails both branches with a type error and then the
  // union itself (anyOf): the type error says it all, the union's "not an allowed choice" only confuses.
  const typed = new Set(all.filter((v) => v.keyword === 'type').map((v) => v.instancePath));
  const list = all.filter((v) => !((v.keyword === 'anyOf' || v.keyword === 'const') && typed.has(v.instancePath)));
  const seen = new Set<string>();
  return list.flatMap((v) => {
    let field = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'required' && typeof v.params.missingProperty === 'string') {
      field = field ? `${field}.${v.params.missingProperty}` : v.params.missingProperty;
    }
    if (v.keyword === 'additionalProperties' && typeof v.params.additionalProperty === 'string')
      field = v.params.additionalProperty;
    const message =
      v.keyword === 'required'
        ? 'required'
        : v.keyword === 'type'
          ? 'type'
          : v.keyword === 'maxLength'
            ? 'too-long'
            : v.keyword === 'minLength'
              ? 'too-short'
              : v.keyword === 'format'
                ? 'format'
                : v.keyword === 'enum' || v.keyword === 'anyOf' || v.keyword === 'const'
                  ? 'choice'
                  : v.keyword === 'additionalProperties'
                    ? 'unknown-field'
                    : v.keyword === 'minimum' || v.keyword === 'maximum' || v.keyword === 'exclusiveMinimum'
                      ? 'range'
                      : v.keyword === 'maxItems'
                        ? 'too-many'
                        : 'invalid';
    const params: Record<string, string | number> = {};
    if (typeof v.params.limit === 'number') {
      params.max = v.params.limit;
      params.min = v.params.limit;
    }
    const key = `${field}:${message}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ field: field || 'body', message, params }];
  });
}

/** Turns any error into a DomainError the person can read; unknown errors become `internal`. */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const e = error as FastifyError;
  if (e.validation) return new DomainError('validation', 422, {}, ajvFields(e));
  // A lock stayed held past the transaction's lock_timeout (db/locks.ts): try again shortly.
  if (isLockTimeout(error)) return busy();
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new DomainError('payload-too-large', 413);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported-media-type', 415);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new DomainError('bad-request', 400);
  }
  if (e.statusCode === 429) return new DomainError('rate-limited', 429);
  if (e instanceof SyntaxError || e.statusCode === 400) return new DomainError('bad-request', 400);
  if (e.statusCode === 413) return new DomainError('payload-too-large', 413);
  if (e.statusCode === 415) return new DomainError('unsupported-media-type', 415);
  return new DomainError('internal', 500);
}

export function problemOf(request: FastifyRequest, config: Config, error: DomainError): Problem {
  // The context is missing when the request failed before onRequest ran (e.g. a bad Bearer key).
  const t = request.ctx?.t ?? translator(config.defaultLanguage);
  const problem: Problem = {
    type: `${config.baseUrl}/problems/${error.code}`,
    title: t(`problems.${error.code}.title`),
    status: error.status,
    detail: t(`problems.${error.code}.detail`, error.params),
    instance: request.url.split('?')[0],
  };
  if (error.fields.length > 0) {
    problem.errors = error.fields.map((f) => ({
      field: f.field,
      code: f.message,
      message: t(`fields.${f.message}`, f.params),
    }));
  }
  return problem;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  info: LayoutInfo,
  error: DomainError,
) {
  const problem = problemOf(request, config, error);
  if (error.status === 401 && error.code === 'api-key-invalid') reply.header('www-authenticate', 'Bearer');
  if (error instanceof RetryLater) reply.header('retry-after', String(error.retryAfterSeconds));
  if (wantsJson(request) || !request.ctx) {
    return reply.status(problem.status).type('application/problem+json; charset=utf-8').send(problem);
  }
  const t = request.ctx.t;
  const body = html`<section class="problem">
<h1>${problem.title}</h1>
<p>${problem.detail}</p>
${problem.errors ? html`<ul>${problem.errors.map((e) => html`<li>${e.field} : ${e.message}</li>`)}</ul>` : ''}
${error.status === 401 ? html`<p><a class="button" href="/login?next=${encodeURIComponent(request.url)}">${t('layout.login')}</a></p>` : ''}
<p><a href="/">${t('problems.backHome')}</a></p>
</section>`;
  // Logging in to come back to "not found" helps nobody, and the path may be a guessed secret.
  if (problem.status === 404) request.ctx.loginNext = null;
  return sendHtml(reply, layout(request, info, { title: problem.title, body }), problem.status);
}

/**
 * Errors the router meets before any hook runs — an address whose percent-encoding is not UTF-8
 * (`FST_ERR_BAD_URL`), a path parameter longer than it reads (`FST_ERR_MAX_PARAM_LENGTH`) — get a
 * problem like any other (Fastify's `frameworkErrors` option), not Fastify's own JSON body.
 */
export function frameworkErrorHandler(config: Config, info: LayoutInfo) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    request.ctx ??= anonymousContext(request, config);
    const domain =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new DomainError('uri-too-long', 414)
        : error.code === 'FST_ERR_BAD_URL'
          ? new DomainError('bad-request', 400)
          : toDomainError(error);
    request.log.info({ err: { message: error.message, code: error.code } }, 'request refused');
    // The route's onSend hooks do not run for a request the router refused: its headers are set here,
    // before sending (knowing already whether the answer is a page).
    reply.type(wantsJson(request) ? 'application/problem+json; charset=utf-8' : 'text/html; charset=utf-8');
    applySecurityHeaders(request, reply, config);
    return sendProblem(request, reply, config, info, domain);
  };
}

export function registerProblems(app: FastifyInstance, config: Config, info: LayoutInfo) {
  app.setErrorHandler((error, request, reply) => {
    const domain = toDomainError(error);
    if (domain.status >= 500) request.log.error({ err: error }, 'request failed');
    else if (!(error instanceof DomainError))
      request.log.info(
        { err: { message: (error as Error).message, code: (error as FastifyError).code } },
        'request refused',
      );
    return sendProblem(request, reply, config, info, domain);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, config, info, new DomainError('not-found', 404, { what: 'page' })),
  );
}
