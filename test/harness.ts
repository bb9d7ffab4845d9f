import { after, before } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import pino, { type Logger } from 'pino';
import { testConfig, type Config } from '../src/config.ts';
import type { Db } from '../src/db/database.ts';
import type { App } from '../src/http/app.ts';
import { assembleNode, type RunningNode } from '../src/node/node.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';
import { FakeStripe } from './fakes/fakeStripe.ts';

export { onPostgres } from './testDatabase.ts';

export interface TestNode {
  app: App;
  db: Db;
  config: Config;
  node: RunningNode;
  testDatabase: TestDatabase;
  /** A new browser-like client with its own cookies. */
  client(): Client;
  /** A client logged in as `email` through the real magic-link flow. */
  loginAs(email: string): Promise<Client>;
  /** The latest mail sent to an address. */
  lastMailTo(email: string): Promise<{ subject: string; text: string; language: string } | undefined>;
  close(): Promise<void>;
}

/** What a test may give its node besides settings: a logger to read what the node logged. */
export interface TestNodeOptions {
  logger?: Logger;
}

/** A node on its own migrated database, for one test file. Close it in `after`. */
export async function createTestNode(
  overrides: Partial<Config> = {},
  options: TestNodeOptions = {},
): Promise<TestNode> {
  const testDatabase = await createTestDatabase();
  const config = testConfig(overrides);
  const node = await assembleNode(config, testDatabase.database, options.logger ?? pino({ level: 'silent' }));
  const db = testDatabase.database.db;
  const lastMailTo = async (email: string) => {
    const row = await db
      .selectFrom('mail_outbox')
      .select(['subject', 'text_body', 'language'])
      .where('to_address', '=', email.toLowerCase())
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? { subject: row.subject, text: row.text_body, language: row.language } : undefined;
  };
  const client = () => new Client(node.app);
  return {
    app: node.app,
    db,
    config,
    node,
    testDatabase,
    client,
    lastMailTo,
    async loginAs(email: string) {
      const c = client();
      const sent = await c.postForm('/login', { email });
      if (sent.statusCode !== 200)
        throw new Error(`login request failed: ${sent.statusCode} ${sent.body.slice(0, 300)}`);
      const mail = await lastMailTo(email);
      const link = mail && /\/login\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
      if (!link) throw new Error(`no login link mailed to ${email}`);
      await c.get(link);
      const done = await c.postForm(link, {});
      if (done.statusCode !== 303) throw new Error(`login failed: ${done.statusCode} ${done.body.slice(0, 300)}`);
      return c;
    },
    async close() {
      await node.stop();
      await testDatabase.close();
    },
  };
}

/**
 * The usual start of a test file: a node (its config `overrides`) opened before the file's tests and
 * closed after. `ready` receives it once open: assign it to the file's variable and build the file's
 * world there.
 */
export function useTestNode(ready: (t: TestNode) => unknown, overrides: Partial<Config> = {}): void {
  let node: TestNode | undefined;
  before(async () => {
    node = await createTestNode(overrides);
    await ready(node);
  });
  after(() => node?.close());
}

type Form = Record<string, string | string[]>;

/** A minimal browser over `app.inject`: keeps cookies, finds the CSRF token in pages. */
export class Client {
  readonly cookies = new Map<string, string>();
  csrf: string | null = null;
  constructor(private readonly app: App) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: LightMyRequestResponse) {
    for (const c of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrf = token;
    return response;
  }

  async request(options: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    payload?: string | Buffer | object;
  }) {
    const response = await this.app.inject({
      method: options.method as 'GET',
      url: options.url,
      headers: { ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}), ...options.headers },
      ...(options.payload !== undefined ? { payload: options.payload } : {}),
    });
    return this.remember(response);
  }

  get(url: string, headers: Record<string, string> = {}) {
    return this.request({ method: 'GET', url, headers });
  }

  /** A CSRF token: the one from the last page, or one fetched from the login page. */
  async token(): Promise<string> {
    if (!this.csrf) await this.get('/login');
    return this.csrf!;
  }

  async postForm(url: string, form: Form, options: { csrf?: string | false } = {}) {
    const params = new URLSearchParams();
    const csrf = options.csrf === undefined ? await this.token() : options.csrf;
    if (csrf !== false) params.append('_csrf', csrf);
    for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: params.toString(),
    });
  }

  /** A multipart form with files (uploads). */
  async postMultipart(
    url: string,
    fields: Record<string, string>,
    files: Record<string, { filename: string; type: string; bytes: Buffer }>,
  ) {
    const boundary = `----rezo${Date.now()}`;
    const parts: Buffer[] = [];
    const all = { _csrf: await this.token(), ...fields };
    for (const [k, v] of Object.entries(all)) {
      parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    }
    for (const [k, f] of Object.entries(files)) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="${k}"; filename="${f.filename}"\r\ncontent-type: ${f.type}\r\n\r\n`,
        ),
      );
      parts.push(f.bytes, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat(parts),
    });
  }

  /** A JSON API call with the session cookie and the CSRF header, as the site's own scripts would. */
  async api(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const csrf = method === 'GET' ? undefined : await this.token();
    return this.request({
      method,
      url,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
  }
}

/** An API call with a bearer key and no cookies, as another program would make it. */
export function withKey(app: App, key: string, method: string, url: string, body?: unknown) {
  return app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
}

/**
 * A node whose Stripe SDK talks to a fake Stripe server of its own (loopback), with the webhook
 * secret they share. Closing the node stops the fake too.
 */
export async function createTestNodeWithStripe(
  overrides: Partial<Config> = {},
  options: TestNodeOptions = {},
): Promise<TestNode & { fake: FakeStripe }> {
  const fake = await new FakeStripe().start();
  const t = await createTestNode(
    {
      stripeSecretKey: 'sk_test_rezo',
      stripeWebhookSecret: fake.webhookSecret,
      stripeConnectWebhookSecret: fake.connectWebhookSecret,
      stripeApiUrl: fake.apiUrl,
      ...overrides,
    },
    options,
  );
  return {
    ...t,
    fake,
    async close() {
      await t.close();
      await fake.stop();
    },
  };
}
