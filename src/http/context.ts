import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { isLanguage, negotiateLanguage, translator, type Language, type Translate } from '../i18n/i18n.ts';
import type { Actor } from '../access/actor.ts';
import { personActor } from '../access/actor.ts';
import { authenticateApiKey } from '../apikeys/apiKeys.ts';
import type { Person } from '../accounts/people.ts';
import { resolveSession, SESSION_COOKIE } from '../accounts/sessions.ts';
import { DomainError } from '../shared/errors.ts';
import { hmac, randomToken, safeEqual } from '../shared/secrets.ts';

export const CSRF_COOKIE = 'rezo_csrf';
export const LANG_COOKIE = 'rezo_lang';

/** What every handler knows about the request: who, in which language, and the form token. */
export interface RequestContext {
  lang: Language;
  t: Translate;
  person: Person | null;
  /** The person (session) or the API key (Bearer) behind the request; null when anonymous. */
  actor: Actor | null;
  /** Token to put in every form (`_csrf`) or in the `x-csrf-token` header. */
  csrfToken: string;
  /**
   * This answer's Content-Security-Policy nonce: a page's own `<style nonce="…">` block is allowed
   * with it (http/securityHeaders.ts). Made when first read.
   */
  cspNonce: string;
  /**
   * Where the header's "Log in" link brings the person back (layout.ts loginHref): undefined = this
   * page's path; a page whose URL is a secret (a card's QR token) gives another path, or null for none.
   */
  loginNext?: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    /** false for endpoints that other servers call (webhooks): they authenticate otherwise. */
    csrf?: boolean;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function cookieOptions(config: Config, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.baseUrl.startsWith('https:'),
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

/**
 * Resolves the request context in `onRequest` (session cookie or Bearer key, language) and checks
 * the CSRF token in `preValidation` (after the body is parsed, before the schema checks it, so a
 * forged request learns nothing about its body) for every unsafe method that is not
 * authenticated by a Bearer key. The CSRF token is an HMAC of a random cookie with the node secret
 * (signed double submit): a page of another site can neither read the cookie nor forge the HMAC.
 */
export function registerContext(app: FastifyInstance, deps: { config: Config; db: Db; secret: string }) {
  const { config, db, secret } = deps;
  app.decorateRequest('ctx', null as unknown as RequestContext);

  app.addHook('onRequest', async (request, reply) => {
    const auth = request.headers.authorization;
    let actor: Actor | null = null;
    let person: Person | null = null;
    if (auth !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(auth);
      const key = match ? await authenticateApiKey(db, match[1]!) : null;
      if (!key) throw new DomainError('api-key-invalid', 401);
      actor = key;
    } else {
      const sessionToken = request.cookies[SESSION_COOKIE];
      if (sessionToken) {
        person = await resolveSession(db, sessionToken);
        if (person) actor = personActor(person.id, person.isOperator);
        else reply.clearCookie(SESSION_COOKIE, { path: '/' });
      }
    }
    const query = request.query as Record<string, unknown> | undefined;
    let lang: Language;
    if (isLanguage(query?.lang)) {
      lang = query.lang;
      reply.setCookie(LANG_COOKIE, lang, { ...cookieOptions(config, 365 * 86400), httpOnly: false });
    } else if (isLanguage(request.cookies[LANG_COOKIE])) {
      lang = request.cookies[LANG_COOKIE] as Language;
    } else {
      lang = person?.language ?? negotiateLanguage(request.headers['accept-language'], config.defaultLanguage);
    }
    // The CSRF token is made when something reads it (a page with a form, the check below): an API
    // call or a device request gets no cookie and costs no HMAC.
    let csrfToken: string | null = null;
    let cspNonce: string | null = null;
    request.ctx = {
      lang,
      t: translator(lang),
      person,
      actor,
      get csrfToken() {
        if (csrfToken !== null) return csrfToken;
        let csrfSeed = request.cookies[CSRF_COOKIE];
        if (!csrfSeed || !/^[A-Za-z0-9_-]{43}$/.test(csrfSeed)) {
          csrfSeed = randomToken();
          if (!reply.sent) reply.setCookie(CSRF_COOKIE, csrfSeed, cookieOptions(config));
        }
        return (csrfToken = hmac(secret, csrfSeed));
      },
      get cspNonce() {
        return (cspNonce ??= randomToken(16));
      },
    };
  });

  app.addHook('preValidation', async (request) => {
    if (!UNSAFE.has(request.method)) return;
    if (request.ctx.actor?.kind === 'apiKey') return;
    if (request.routeOptions.config?.csrf === false) return;
    // An anonymous JSON call (another program, or a page's script without a session) carries no
    // authority to abuse, and a page of another site cannot send JSON here at all: that needs a
    // CORS preflight this node never approves.
    if (!request.ctx.actor && (request.headers['content-type'] ?? '').startsWith('application/json')) return;
    const body = request.body as Record<string, unknown> | undefined;
    const sent = (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !safeEqual(sent, request.ctx.csrfToken)) throw new DomainError('csrf', 403);
  });
}

/**
 * The context of a request refused before `onRequest` ran (the router could not read its address):
 * anonymous, in the language of its Accept-Language header, without a form token.
 */
export function anonymousContext(request: FastifyRequest, config: Config): RequestContext {
  const lang = negotiateLanguage(request.headers['accept-language'], config.defaultLanguage);
  return { lang, t: translator(lang), person: null, actor: null, csrfToken: '', cspNonce: randomToken(16) };
}

/** The actor of the request, or a 401 problem. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.ctx.actor) throw new DomainError('unauthenticated', 401);
  return request.ctx.actor;
}

/** For pages: the logged-in person, or a redirect to the login page that comes back here. */
export function personOrLogin(request: FastifyRequest, reply: FastifyReply): Person | null {
  if (request.ctx.person) return request.ctx.person;
  void reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  return null;
}
