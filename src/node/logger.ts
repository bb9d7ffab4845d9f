import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config.ts';

/**
 * Paths whose last segment is a secret: a login link, a card's QR token, an order's confirmation
 * link, a waiting-list link. Whoever reads the access log must not be able to use them.
 */
const SECRET_PATH = /^(\/(?:login|cards|orders\/confirm|waitlist\/entries|waitlist\/offers)\/)[^/?#]+/;

/** A request's address as the access log shows it: secret path segments replaced by `[token]`. */
export function loggedUrl(url: string): string {
  return url.replace(SECRET_PATH, '$1[token]');
}

const EMAIL = /[^\s@'"(),;<>=]+@[^\s@'"(),;<>=]+\.[A-Za-z]{2,}/g;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const IPV6 =
  /\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?:\b[0-9a-f]{1,4})?(?::[0-9a-f]{1,4})*::(?:[0-9a-f]{1,4}:)*(?:[0-9a-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?\b/gi;

/** Text of an error (its message, a database's detail) without the e-mail addresses and IP addresses it quotes. */
export function redactPersonalData(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(IPV4, '[ip]')
    .replace(IPV6, (m) => (m.length > 2 ? '[ip]' : m));
}

/**
 * Errors as logged: the usual fields (type, message, stack, code…), without a database driver's copy
 * of the statement's parameters (PGlite's `params`), and with e-mail and IP addresses taken out of
 * every text (PostgreSQL quotes the values at fault in `detail` and `where`: "Key (lower(email))=(…)").
 */
function redactedError(err: unknown): Record<string, unknown> {
  const out = { ...pino.stdSerializers.err(err as Error) } as Record<string, unknown>;
  for (const key of ['params', 'parameters', 'queryOptions']) delete out[key];
  for (const [key, value] of Object.entries(out))
    if (typeof value === 'string' && key !== 'type') out[key] = redactPersonalData(value);
  return out;
}

/** The access log's view of a request (Fastify's default fields), with secret path segments hidden. */
function redactedRequest(request: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: request.method,
    url: loggedUrl(request.url ?? ''),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Structured JSON logs (pino); readable lines when a person watches a development node in a terminal. */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const pretty = config.env === 'development' && process.stdout.isTTY && !destination;
  const options = {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], remove: true },
    serializers: { req: redactedRequest, err: redactedError },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
