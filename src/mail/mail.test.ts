import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import pino from 'pino';
import { translate } from '../i18n/i18n.ts';
import { createMailDelivery } from './mailDelivery.ts';
import { queueMail } from './queueMail.ts';

interface Received {
  envelopeTo: string[];
  raw: string;
}

/** An SMTP server in this process (127.0.0.1, no TLS, no auth) that keeps what it receives. */
function smtpServer(options: { hold?: () => Promise<void> } = {}) {
  const received: Received[] = [];
  const waiting: ((r: Received) => void)[] = [];
  let closing: Promise<void> | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString('latin1')));
      stream.on('end', () => {
        const mail = { envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw };
        void (options.hold?.() ?? Promise.resolve()).then(() => {
          received.push(mail);
          waiting.shift()?.(mail);
          callback();
        });
      });
    },
  });
  return {
    received,
    next: () => new Promise<Received>((resolve) => waiting.push(resolve)),
    listen: (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    port: () => (server.server.address() as { port: number }).port,
    close: () => (closing ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/** A header of a raw message, unfolded and with its RFC 2047 encoded words decoded. */
function header(raw: string, name: string): string {
  const head = raw.split(/\r\n\r\n/)[0]!.replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  assert.ok(line, `header ${name} in:\n${head}`);
  return line
    .slice(name.length + 1)
    .trim()
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

/** The text body, decoded from quoted-printable when it is. */
function body(raw: string): string {
  const [head, ...rest] = raw.split(/\r\n\r\n/);
  const text = rest.join('\r\n\r\n');
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(head!)) return text;
  const bytes = text
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

async function outboxRow(t: TestNode, to: string) {
  return t.db
    .selectFrom('mail_outbox')
    .selectAll()
    .where('to_address', '=', to)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
}

/** Waits until the outbox row for `to` matches (delivery runs after the response). */
async function until(t: TestNode, to: string, ok: (row: Awaited<ReturnType<typeof outboxRow>>) => boolean) {
  for (let i = 0; i < 100; i++) {
    const row = await outboxRow(t, to);
    if (ok(row)) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  return outboxRow(t, to);
}

describe('mail delivery over SMTP', () => {
  const smtp = smtpServer();
  let port: number;
  let t: TestNode;
  before(async () => {
    await smtp.listen(0);
    port = smtp.port();
    t = await createTestNode({
      env: 'production',
      smtpUrl: `smtp://127.0.0.1:${port}`,
      mailFrom: 'Rezo Test <rezo@example.org>',
    });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  test('a login request delivers its mail (to, subject, link) and marks it sent', async () => {
    const arriving = smtp.next();
    const c = t.client();
    const r = await c.postForm('/login?lang=en', { email: 'Reader@Example.org' });
    assert.equal(r.statusCode, 200);
    const mail = await arriving;
    assert.deepEqual(mail.envelopeTo, ['reader@example.org']);
    assert.equal(header(mail.raw, 'To'), 'reader@example.org');
    assert.match(header(mail.raw, 'From'), /rezo@example\.org/);
    const row = await until(t, 'reader@example.org', (x) => x.status === 'sent');
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 1);
    assert.equal(row.error, null);
    assert.ok(row.sent_at instanceof Date);
    assert.equal(header(mail.raw, 'Subject'), row.subject);
    assert.equal(row.subject, translate('en', 'mail.login.subject', { territory: t.config.territoryName }));
    const token = /\/login\/([A-Za-z0-9_-]{43})/.exec(row.text_body)![1]!;
    assert.ok(body(mail.raw).includes(`${t.config.baseUrl}/login/${token}`), body(mail.raw));
  });

  test('two processes sending the outbox at once send each mail once (claims skip what the other holds)', async () => {
    const to = Array.from({ length: 45 }, (_, i) => `batch${i}@example.org`);
    for (const address of to)
      await queueMail(t.db, { to: address, subject: 'Lot', text: 'Bonjour', language: 'fr' }, true);
    const other = createMailDelivery(t.config, t.db, pino({ level: 'silent' }));
    const before = smtp.received.length;
    try {
      const [a, b] = await Promise.all([t.node.mail.flush(), other.flush()]);
      assert.equal(a + b, to.length, `${a} + ${b} sent`);
    } finally {
      await other.stop();
    }
    const got = smtp.received
      .slice(before)
      .flatMap((m) => m.envelopeTo)
      .filter((x) => x.startsWith('batch'))
      .sort();
    assert.deepEqual(got, [...to].sort(), 'each mail received exactly once');
    const rows = await t.db
      .selectFrom('mail_outbox')
      .select(['status', 'attempts'])
      .where('to_address', 'like', 'batch%')
      .execute();
    assert.equal(rows.length, to.length);
    assert.ok(
      rows.every((r) => r.status === 'sent' && r.attempts === 1),
      JSON.stringify(rows.filter((r) => r.status !== 'sent' || r.attempts !== 1)),
    );
  });

  test('with the SMTP server down the mail stays pending with its error, and goes out once it is back', async () => {
    await smtp.close();
    const c = t.client();
    const r = await c.postForm('/login', { email: 'patient@example.org' });
    assert.equal(r.statusCode, 200, 'the person is answered even though mail cannot go out');
    const failed = await until(t, 'patient@example.org', (x) => x.error !== null);
    assert.equal(failed.status, 'pending');
    assert.equal(failed.attempts, 1);
    assert.match(failed.error ?? '', /ECONNREFUSED|connect/i);
    assert.ok(failed.next_attempt_at.getTime() > Date.now() + 30_000, 'retried later, not at once');
    // Not due yet: a round sends nothing.
    assert.equal(await t.node.mail.flush(), 0);

    // A closed smtp-server cannot listen again: a new one takes the same port.
    const back = smtpServer();
    await back.listen(port);
    try {
      await sql`update mail_outbox set next_attempt_at = now() where to_address = 'patient@example.org'`.execute(t.db);
      const arriving = back.next();
      assert.equal(await t.node.mail.flush(), 1);
      const mail = await arriving;
      assert.deepEqual(mail.envelopeTo, ['patient@example.org']);
      const sent = await outboxRow(t, 'patient@example.org');
      assert.equal(sent.status, 'sent');
      assert.equal(sent.attempts, 2);
      assert.equal(sent.error, null);
      assert.equal(await t.node.mail.flush(), 0, 'sent once only');
      assert.equal(back.received.length, 1);
    } finally {
      await back.close();
    }
  });

  test('/dev/mail does not exist in production', async () => {
    assert.equal((await t.app.inject('/dev/mail')).statusCode, 404);
  });
});

describe('mail without SMTP', () => {
  let t: TestNode;
  before(async () => {
    t = await createTestNode({ env: 'development' });
  });
  after(() => t.close());

  test('the mail is kept in the outbox and listed at /dev/mail in development', async () => {
    const r = await t.client().postForm('/login', { email: 'offline@example.org' });
    assert.equal(r.statusCode, 200);
    await t.node.mail.flush();
    const row = await outboxRow(t, 'offline@example.org');
    assert.equal(row.status, 'kept');
    assert.equal(row.sent_at, null);
    const page = await t.app.inject('/dev/mail');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /offline@example\.org/);
    const token = /\/login\/([A-Za-z0-9_-]{43})/.exec(row.text_body)![1]!;
    assert.ok(page.body.includes(`<a href="${t.config.baseUrl}/login/${token}">`), 'the link is clickable');
  });

  test('/dev/mail is 404 in test mode', async () => {
    const s = await createTestNode();
    try {
      assert.equal(s.config.env, 'test');
      assert.equal((await s.app.inject('/dev/mail')).statusCode, 404);
    } finally {
      await s.close();
    }
  });
});

describe('mail queued while a delivery round is sending', () => {
  let release!: () => void;
  let holding = true;
  const gate = new Promise<void>((r) => (release = r));
  const smtp = smtpServer({ hold: () => (holding ? gate : Promise.resolve()) });
  let t: TestNode;
  before(async () => {
    await smtp.listen(0);
    t = await createTestNode({
      env: 'production',
      smtpUrl: `smtp://127.0.0.1:${smtp.port()}`,
      mailFrom: 'Rezo Test <rezo@example.org>',
    });
  });
  after(async () => {
    release();
    await t.close();
    await smtp.close();
  });

  test('goes out after that round, without waiting for the next timer', async () => {
    // The first login's mail is claimed and held by the SMTP server: its round stays in flight.
    assert.equal((await t.client().postForm('/login', { email: 'first@example.org' })).statusCode, 200);
    await until(t, 'first@example.org', (x) => x.attempts === 1);
    // The second is queued (and committed) after that round's claim.
    assert.equal((await t.client().postForm('/login', { email: 'second@example.org' })).statusCode, 200);
    await new Promise((r) => setTimeout(r, 100));
    holding = false;
    release();
    // No timer runs in tests (the node's 5 s interval starts only with `rezo serve`): only the kick's
    // own round after the one in flight can send it.
    const second = await until(t, 'second@example.org', (x) => x.status === 'sent');
    assert.equal(second.status, 'sent');
    assert.deepEqual(smtp.received.map((m) => m.envelopeTo[0]).sort(), ['first@example.org', 'second@example.org']);
  });
});
