import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from './config.ts';

/** The problems loadConfig reports for an environment (fails the test if it accepts it). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/rezo');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail(`configuration ${JSON.stringify(env)} was accepted`);
}

describe('configuration', () => {
  test('an empty environment gives the documented defaults', () => {
    const c = loadConfig({}, '/srv/rezo') as unknown as Record<string, unknown>;
    const expected: Record<string, unknown> = {
      env: 'development',
      host: '127.0.0.1',
      port: 8080,
      baseUrl: 'http://127.0.0.1:8080',
      databaseUrl: undefined,
      dataDir: '/srv/rezo/data',
      demo: true,
      territoryName: 'La Réunion',
      timeZone: 'Indian/Reunion',
      defaultLanguage: 'fr',
      smtpUrl: undefined,
      mailFrom: 'Rezo <no-reply@rezo.localhost>',
      operators: [],
      logLevel: 'info',
      trustProxy: false,
      loginTokenTtlMinutes: 15,
      sessionTtlDays: 30,
      bodyLimitBytes: 1_048_576,
      uploadLimitBytes: 2_097_152,
      dbPoolSize: 10,
      dbPreparedStatements: true,
      lockTimeoutMs: 5000,
      stripeSecretKey: undefined,
      stripeWebhookSecret: undefined,
      stripeConnectWebhookSecret: undefined,
      stripeApiUrl: undefined,
      demoPayments: true,
      checkoutHoldMinutes: 15,
      bookingHoldMinutes: 5,
      ordersPerClient: 30,
      ordersPerEmail: 10,
      unconfirmedHoldPercent: 50,
      webhooksAllowPrivate: true,
      federationAllow: [],
      federationAllowPrivate: true,
      federationRetryMs: 30_000,
      federationInboxPerMinute: 300,
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(c[key], value, key);
    // In production, webhook receivers must be public unless the operator says otherwise.
    assert.equal(loadConfig({ REZO_ENV: 'production' }, '/srv/rezo').webhooksAllowPrivate, false);
    assert.equal(
      loadConfig({ REZO_ENV: 'production', REZO_WEBHOOKS_ALLOW_PRIVATE: '1' }, '/srv/rezo').webhooksAllowPrivate,
      true,
    );
    // Private federation peers: never in production, whatever the environment says.
    assert.equal(loadConfig({ REZO_ENV: 'production' }, '/srv/rezo').federationAllowPrivate, false);
    assert.deepEqual(
      loadConfig({ REZO_FEDERATION_ALLOW: ' Peer.example:8443, b.example ' }, '/srv/rezo').federationAllow,
      ['peer.example:8443', 'b.example'],
    );
    // The order limits hold in production with the same defaults as elsewhere (docs/OPERATIONS.md, "Limits").
    const production = loadConfig({ REZO_ENV: 'production' }, '/srv/rezo');
    assert.deepEqual(
      [production.ordersPerClient, production.ordersPerEmail, production.unconfirmedHoldPercent],
      [30, 10, 50],
    );
    // A new setting must get its default checked here too.
    assert.deepEqual(Object.keys(c).sort(), Object.keys(expected).sort());
  });

  test('good values are read, trimmed and normalised', () => {
    const c = loadConfig(
      {
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        PORT: '3000',
        REZO_BASE_URL: 'https://rezo.example.org/',
        DATABASE_URL: 'postgresql://rezo@db/rezo',
        REZO_DATA_DIR: 'var/rezo',
        REZO_DEMO: 'no',
        REZO_DEFAULT_LANGUAGE: ' en ',
        REZO_TIME_ZONE: ' America/Martinique ',
        SMTP_URL: 'smtps://user:pw@mail.example.org',
        REZO_OPERATORS: ' Boss@Example.org , ops@example.org,',
        LOG_LEVEL: 'warn',
        REZO_TRUST_PROXY: 'true',
        REZO_BODY_LIMIT_BYTES: '2048',
      },
      '/srv/rezo',
    );
    assert.equal(c.env, 'production');
    assert.equal(c.port, 3000);
    assert.equal(c.baseUrl, 'https://rezo.example.org');
    assert.equal(c.databaseUrl, 'postgresql://rezo@db/rezo');
    assert.equal(c.dataDir, '/srv/rezo/var/rezo');
    assert.equal(c.demo, false);
    assert.equal(c.defaultLanguage, 'en');
    assert.equal(c.timeZone, 'America/Martinique');
    assert.equal(c.smtpUrl, 'smtps://user:pw@mail.example.org');
    assert.deepEqual(c.operators, ['boss@example.org', 'ops@example.org']);
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.trustProxy, true);
    assert.equal(c.bodyLimitBytes, 2048);
    // Without REZO_BASE_URL, a node listening on every interface is reached at localhost.
    assert.equal(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).baseUrl, 'http://localhost:9000');
    assert.equal(loadConfig({ REZO_ENV: 'test', NODE_ENV: 'production' }).env, 'test');
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['PORT not a number', { PORT: 'abc' }, /^PORT: "abc" must be a whole number from 0 to 65535$/],
    ['PORT too large', { PORT: '70000' }, /^PORT: "70000" must be a whole number/],
    [
      'DATABASE_URL of another database',
      { DATABASE_URL: 'mysql://x' },
      /^DATABASE_URL: "mysql:" URLs are not supported \(use postgres: or postgresql:\)$/,
    ],
    ['DATABASE_URL not a URL', { DATABASE_URL: 'not a url' }, /^DATABASE_URL: not a valid URL$/],
    [
      'SMTP_URL of another protocol',
      { SMTP_URL: 'http://mail.example.org' },
      /^SMTP_URL: "http:" URLs are not supported/,
    ],
    ['SMTP_URL not a URL', { SMTP_URL: 'mail.example.org:25' }, /^SMTP_URL: /],
    ['REZO_DEMO not a boolean', { REZO_DEMO: 'maybe' }, /^REZO_DEMO: "maybe" must be 1 or 0/],
    ['REZO_ENV unknown', { REZO_ENV: 'staging' }, /^REZO_ENV: "staging" is not one of development, production, test$/],
    [
      'REZO_DEFAULT_LANGUAGE unsupported',
      { REZO_DEFAULT_LANGUAGE: 'de' },
      /^REZO_DEFAULT_LANGUAGE: "de" is not one of fr, en$/,
    ],
    [
      'REZO_TIME_ZONE not an IANA zone',
      { REZO_TIME_ZONE: 'Reunion/Island' },
      /^REZO_TIME_ZONE: "Reunion\/Island" is not an IANA time zone/,
    ],
    ['REZO_TIME_ZONE an offset, not a zone', { REZO_TIME_ZONE: '+04:00' }, /^REZO_TIME_ZONE: /],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'verbose' }, /^LOG_LEVEL: "verbose" is not one of fatal, error/],
    [
      'REZO_OPERATORS with a non-address',
      { REZO_OPERATORS: 'ok@example.org,bob' },
      /^REZO_OPERATORS: "bob" is not an e-mail address$/,
    ],
    ['REZO_TRUST_PROXY not a boolean', { REZO_TRUST_PROXY: 'sometimes' }, /^REZO_TRUST_PROXY: /],
    [
      'REZO_BODY_LIMIT_BYTES below its minimum',
      { REZO_BODY_LIMIT_BYTES: '10' },
      /^REZO_BODY_LIMIT_BYTES: "10" must be a whole number from 1024/,
    ],
    ['REZO_SESSION_TTL_DAYS negative', { REZO_SESSION_TTL_DAYS: '-1' }, /^REZO_SESSION_TTL_DAYS: /],
    ['REZO_DB_POOL_SIZE zero', { REZO_DB_POOL_SIZE: '0' }, /^REZO_DB_POOL_SIZE: /],
    ['REZO_LOCK_TIMEOUT_MS beyond ten minutes', { REZO_LOCK_TIMEOUT_MS: '600001' }, /^REZO_LOCK_TIMEOUT_MS: /],
    ['REZO_UNCONFIRMED_HOLD_PERCENT zero', { REZO_UNCONFIRMED_HOLD_PERCENT: '0' }, /^REZO_UNCONFIRMED_HOLD_PERCENT: /],
    ['REZO_ORDERS_PER_CLIENT negative', { REZO_ORDERS_PER_CLIENT: '-1' }, /^REZO_ORDERS_PER_CLIENT: /],
    ['REZO_BOOKING_HOLD_MINUTES zero', { REZO_BOOKING_HOLD_MINUTES: '0' }, /^REZO_BOOKING_HOLD_MINUTES: /],
    [
      'REZO_DB_PREPARED_STATEMENTS not a boolean',
      { REZO_DB_PREPARED_STATEMENTS: 'sometimes' },
      /^REZO_DB_PREPARED_STATEMENTS: "sometimes" must be 1 or 0/,
    ],
    ['REZO_BASE_URL without a scheme', { REZO_BASE_URL: 'rezo.example.org' }, /^REZO_BASE_URL: /],
    ['an unknown REZO_ variable', { REZO_SOMETHING: '1' }, /^REZO_SOMETHING: unknown setting \(known: REZO_ENV, /],
  ];
  for (const [name, env, message] of bad) {
    test(`refused: ${name}, with a message naming the variable`, () => {
      const problems = problemsOf(env);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, message);
    });
  }

  test('a misspelt setting is refused but REZO_TEST_* (the test runner) and other variables are not', () => {
    assert.match(problemsOf({ REZO_DATADIR: 'x' })[0]!, /REZO_DATADIR: unknown setting/);
    assert.doesNotThrow(() => loadConfig({ REZO_TEST_PGLITE_TEMPLATE: '/tmp/x', PATH: '/bin', HOME: '/root' }));
  });

  test('every problem is reported at once, and the error message lists them all', () => {
    const env = {
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      REZO_DEMO: 'maybe',
      REZO_DEFAULT_LANGUAGE: 'de',
      REZO_SOMETHING: 'x',
    };
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), [
      'DATABASE_URL',
      'PORT',
      'REZO_DEFAULT_LANGUAGE',
      'REZO_DEMO',
      'REZO_SOMETHING',
    ]);
    for (const name of Object.keys(env)) assert.match(error.message, new RegExp(name));
    assert.ok(!error.message.includes('\n'), 'one line');
  });

  test('blank values count as unset', () => {
    assert.equal(loadConfig({ PORT: '  ', DATABASE_URL: '' }).port, 8080);
  });

  test('SETTINGS lists exactly the variables loadConfig reads', () => {
    // Each setting, set to a value no setting accepts, must be reported (or read as a free string):
    // a setting in SETTINGS that loadConfig ignores would be documented but do nothing.
    const free = new Set(['NODE_ENV', 'HOST', 'REZO_DATA_DIR', 'REZO_TERRITORY_NAME', 'MAIL_FROM']);
    for (const name of SETTINGS) {
      if (free.has(name)) continue;
      assert.match(problemsOf({ [name]: '@@@' }).join('\n'), new RegExp(`^${name}: `), name);
    }
    const c = loadConfig({ REZO_DATA_DIR: '/d', REZO_TERRITORY_NAME: 'Mayotte', MAIL_FROM: 'x@y.z', HOST: '::1' });
    assert.deepEqual(
      [c.dataDir, c.territoryName, c.mailFrom, c.baseUrl],
      ['/d', 'Mayotte', 'x@y.z', 'http://[::1]:8080'],
    );
  });

  test('README.md documents every setting in its Configuration table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...SETTINGS].sort());
  });
});
