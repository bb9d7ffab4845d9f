import { resolve } from 'node:path';
import { LANGUAGES, type Language } from './i18n/i18n.ts';

/** The territory's zone when REZO_TIME_ZONE is not set: the one place this default is written. */
export const DEFAULT_TIME_ZONE = 'Indian/Reunion';

/**
 * Every setting of a node, read from the environment once, validated, with defaults. A bad value
 * stops the node at start with one line per problem; an unknown REZO_* variable is refused too,
 * because a misspelt setting silently ignored is worse than a refusal.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Public URL of the node, used in mails and links. */
  baseUrl: string;
  /** postgres:// URL; absent means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Load the demo territory into an empty database at start (by default only in development). */
  demo: boolean;
  territoryName: string;
  /**
   * IANA zone of the territory: the zone a new venue gets when none is given, and the one that dates
   * outside any venue (wallet, cards) are shown in. A venue's own zone (`places.timezone`) wins for its dates.
   */
  timeZone: string;
  defaultLanguage: Language;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** E-mails of node operators (super-admins), in addition to those set with `rezo operator add`. */
  operators: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: boolean;
  /** Minutes a login link stays valid. */
  loginTokenTtlMinutes: number;
  sessionTtlDays: number;
  /** Largest accepted request body (JSON and forms), bytes. */
  bodyLimitBytes: number;
  /** Largest accepted image upload, bytes. */
  uploadLimitBytes: number;
  dbPoolSize: number;
  /** Hot queries as named prepared statements on PostgreSQL (off for a pooler in transaction mode). */
  dbPreparedStatements: boolean;
  /** How long a transaction waits for a lock before answering 503 `busy` (ms, 0: no limit). db/locks.ts. */
  lockTimeoutMs: number;
  /** Stripe secret key (sk_…); without it, online payments are off. */
  stripeSecretKey: string | undefined;
  /** Signing secret of the Stripe webhook endpoint of the platform's own account (whsec_…). */
  stripeWebhookSecret: string | undefined;
  /** Signing secret of the Connect webhook endpoint: events of the venues' connected accounts (whsec_…). */
  stripeConnectWebhookSecret: string | undefined;
  /** Another Stripe API server (tests, stripe-mock); the official API when absent. */
  stripeApiUrl: string | undefined;
  /**
   * The demonstration payment provider (docs/PAYMENTS.md, "Demo provider"): pretend payments on the
   * node's own page. On by default in development without a Stripe key; never in production.
   */
  demoPayments: boolean;
  /** Minutes a checkout holds its seats before they are released. */
  checkoutHoldMinutes: number;
  /** Minutes a free booking holds its seats until its mailed link is opened. */
  bookingHoldMinutes: number;
  /** Orders without an account per client address per 15 minutes (0: no limit). */
  ordersPerClient: number;
  /** Orders per e-mail address per 15 minutes (0: no limit). */
  ordersPerEmail: number;
  /** Share of a date's seats that orders without an account may hold until paid or confirmed, percent. */
  unconfirmedHoldPercent: number;
  /** Webhook receivers may be on this machine or a private network (off in production: src/webhooks/receiverAddress.ts). */
  webhooksAllowPrivate: boolean;
  /**
   * Federation (docs/FEDERATION.md): hosts (host[:port]) whose follows of the instance actor are accepted
   * without an operator; peers on loopback or private networks allowed (off in production); the first
   * retry delay of a failed delivery, doubled at each attempt.
   */
  federationAllow: string[];
  federationAllowPrivate: boolean;
  federationRetryMs: number;
  /** Inbox requests accepted per remote host per minute. */
  federationInboxPerMinute: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The settings this module reads; every one is documented in README.md. */
export const SETTINGS = [
  'NODE_ENV',
  'REZO_ENV',
  'HOST',
  'PORT',
  'REZO_BASE_URL',
  'DATABASE_URL',
  'REZO_DATA_DIR',
  'REZO_DEMO',
  'REZO_TERRITORY_NAME',
  'REZO_TIME_ZONE',
  'REZO_DEFAULT_LANGUAGE',
  'SMTP_URL',
  'MAIL_FROM',
  'REZO_OPERATORS',
  'LOG_LEVEL',
  'REZO_TRUST_PROXY',
  'REZO_LOGIN_TOKEN_TTL_MINUTES',
  'REZO_SESSION_TTL_DAYS',
  'REZO_BODY_LIMIT_BYTES',
  'REZO_UPLOAD_LIMIT_BYTES',
  'REZO_DB_POOL_SIZE',
  'REZO_DB_PREPARED_STATEMENTS',
  'REZO_LOCK_TIMEOUT_MS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_CONNECT_WEBHOOK_SECRET',
  'REZO_STRIPE_API_URL',
  'REZO_DEMO_PAYMENTS',
  'REZO_CHECKOUT_HOLD_MINUTES',
  'REZO_BOOKING_HOLD_MINUTES',
  'REZO_ORDERS_PER_CLIENT',
  'REZO_ORDERS_PER_EMAIL',
  'REZO_UNCONFIRMED_HOLD_PERCENT',
  'REZO_WEBHOOKS_ALLOW_PRIVATE',
  'REZO_FEDERATION_ALLOW',
  'REZO_FEDERATION_RETRY_MS',
  'REZO_FEDERATION_INBOX_PER_MINUTE',
] as const;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const get = (name: (typeof SETTINGS)[number]) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  for (const name of Object.keys(env)) {
    if (name.startsWith('REZO_') && !(SETTINGS as readonly string[]).includes(name) && !name.startsWith('REZO_TEST_')) {
      problems.push(`${name}: unknown setting (known: ${SETTINGS.filter((s) => s.startsWith('REZO_')).join(', ')})`);
    }
  }

  const oneOf = <T extends string>(name: (typeof SETTINGS)[number], allowed: readonly T[], fallback: T): T => {
    const v = get(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${name}: "${v}" is not one of ${allowed.join(', ')}`);
    return fallback;
  };
  const int = (name: (typeof SETTINGS)[number], fallback: number, min: number, max: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}: "${v}" must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(v);
  };
  const bool = (name: (typeof SETTINGS)[number], fallback: boolean): boolean => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
    problems.push(`${name}: "${v}" must be 1 or 0 (true or false)`);
    return fallback;
  };
  const url = (name: (typeof SETTINGS)[number], protocols: string[]): string | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) {
        problems.push(`${name}: "${u.protocol}" URLs are not supported (use ${protocols.join(' or ')})`);
        return undefined;
      }
      return v;
    } catch {
      problems.push(`${name}: not a valid URL`);
      return undefined;
    }
  };

  const prefixed = (name: (typeof SETTINGS)[number], prefixes: string[]): string | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    if (!prefixes.some((p) => v.startsWith(p))) {
      problems.push(`${name}: must start with ${prefixes.join(' or ')}`);
      return undefined;
    }
    return v;
  };

  const zone = (name: (typeof SETTINGS)[number], fallback: string): string => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (!isTimeZone(v)) {
      problems.push(`${name}: "${v}" is not an IANA time zone (such as Europe/Paris)`);
      return fallback;
    }
    return v;
  };

  const nodeEnv = get('NODE_ENV');
  const env_ = oneOf(
    'REZO_ENV',
    ['development', 'production', 'test'] as const,
    nodeEnv === 'production' ? 'production' : nodeEnv === 'test' ? 'test' : 'development',
  );
  const host = get('HOST') ?? '127.0.0.1';
  const port = int('PORT', 8080, 0, 65535);
  const baseUrlRaw = url('REZO_BASE_URL', ['http:', 'https:']);
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = (baseUrlRaw ?? `http://${displayHost}:${port}`).replace(/\/+$/, '');
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:']);

  const operators = (get('REZO_OPERATORS') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const email of operators) {
    if (!isEmail(email)) problems.push(`REZO_OPERATORS: "${email}" is not an e-mail address`);
  }
  const federationAllow = (get('REZO_FEDERATION_ALLOW') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const host of federationAllow) {
    if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(host))
      problems.push(`REZO_FEDERATION_ALLOW: "${host}" is not a host name (host or host:port)`);
  }
  const mailFrom = get('MAIL_FROM') ?? 'Rezo <no-reply@rezo.localhost>';

  const config: Config = {
    env: env_,
    host,
    port,
    baseUrl,
    databaseUrl,
    dataDir: resolve(cwd, get('REZO_DATA_DIR') ?? 'data'),
    // The demo's people, cards and money are fiction: on a node for real use they are a risk, so they
    // load by default only in development, elsewhere only when asked (REZO_DEMO=1).
    demo: bool('REZO_DEMO', env_ === 'development'),
    territoryName: get('REZO_TERRITORY_NAME') ?? 'La Réunion',
    timeZone: zone('REZO_TIME_ZONE', DEFAULT_TIME_ZONE),
    defaultLanguage: oneOf('REZO_DEFAULT_LANGUAGE', LANGUAGES, 'fr'),
    smtpUrl,
    mailFrom,
    operators,
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    trustProxy: bool('REZO_TRUST_PROXY', false),
    loginTokenTtlMinutes: int('REZO_LOGIN_TOKEN_TTL_MINUTES', 15, 1, 1440),
    sessionTtlDays: int('REZO_SESSION_TTL_DAYS', 30, 1, 365),
    bodyLimitBytes: int('REZO_BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    uploadLimitBytes: int('REZO_UPLOAD_LIMIT_BYTES', 2_097_152, 1024, 52_428_800),
    dbPoolSize: int('REZO_DB_POOL_SIZE', 10, 1, 200),
    dbPreparedStatements: bool('REZO_DB_PREPARED_STATEMENTS', true),
    lockTimeoutMs: int('REZO_LOCK_TIMEOUT_MS', 5000, 0, 600_000),
    stripeSecretKey: prefixed('STRIPE_SECRET_KEY', ['sk_test_', 'sk_live_', 'rk_test_', 'rk_live_']),
    stripeWebhookSecret: prefixed('STRIPE_WEBHOOK_SECRET', ['whsec_']),
    stripeConnectWebhookSecret: prefixed('STRIPE_CONNECT_WEBHOOK_SECRET', ['whsec_']),
    stripeApiUrl: url('REZO_STRIPE_API_URL', ['http:', 'https:']),
    demoPayments: false,
    checkoutHoldMinutes: int('REZO_CHECKOUT_HOLD_MINUTES', 15, 1, 240),
    bookingHoldMinutes: int('REZO_BOOKING_HOLD_MINUTES', 5, 1, 240),
    ordersPerClient: int('REZO_ORDERS_PER_CLIENT', 30, 0, 100_000),
    ordersPerEmail: int('REZO_ORDERS_PER_EMAIL', 10, 0, 100_000),
    unconfirmedHoldPercent: int('REZO_UNCONFIRMED_HOLD_PERCENT', 50, 1, 100),
    webhooksAllowPrivate: bool('REZO_WEBHOOKS_ALLOW_PRIVATE', env_ !== 'production'),
    federationAllow,
    // Private peers only for development and tests: REZO_ENV decides, no setting can open it in production.
    federationAllowPrivate: env_ !== 'production',
    federationRetryMs: int('REZO_FEDERATION_RETRY_MS', 30_000, 10, 3_600_000),
    federationInboxPerMinute: int('REZO_FEDERATION_INBOX_PER_MINUTE', 300, 1, 100_000),
  };
  const demoPayments = bool('REZO_DEMO_PAYMENTS', env_ === 'development' && !config.stripeSecretKey);
  if (demoPayments && env_ === 'production')
    problems.push('REZO_DEMO_PAYMENTS: pretend payments are never available in production');
  if (demoPayments && config.stripeSecretKey)
    problems.push('REZO_DEMO_PAYMENTS: not with STRIPE_SECRET_KEY (one provider takes the online payments)');
  config.demoPayments = demoPayments && env_ !== 'production' && !config.stripeSecretKey;
  if (config.stripeSecretKey && !config.stripeWebhookSecret) {
    problems.push(
      'STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (payments are confirmed by verified webhooks)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
// Intl's list leaves out some canonical aliases (UTC itself on some builds).
TIME_ZONES.add('UTC');

/** An IANA zone name this runtime knows (validated the same way for the node and for each venue). */
export function isTimeZone(value: string): boolean {
  return TIME_ZONES.has(value);
}

const EMAIL_RE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL_RE.test(value);
}

/**
 * A configuration for tests: production-like, quiet, no demo. The order limits are off (tests place
 * many orders from one address); the tests of those limits set their own.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ REZO_ENV: 'test', LOG_LEVEL: 'silent', REZO_DEMO: '0' }),
    baseUrl: 'http://rezo.test',
    ordersPerClient: 0,
    ordersPerEmail: 0,
    unconfirmedHoldPercent: 100,
    ...overrides,
  };
}
