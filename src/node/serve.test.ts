import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestNode } from '../../test/harness.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/testDatabase.ts';

const root = new URL('../..', import.meta.url);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Serving {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `rezo serve` and resolves once it printed its banner (or fails with what it printed). */
async function serve(env: Record<string, string>): Promise<Serving> {
  const child = spawn(process.execPath, ['bin/rezo.js', 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // A busy machine (CI running two suites, helpers) takes up to a minute to create the database and load the demo.
    const timer = setTimeout(() => reject(new Error(`serve did not start in 150 s:\n${out}`)), 150_000);
    const check = () => {
      if (out.includes('Stop with Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
  return { child, output: () => out, exited };
}

let dataDir: string;
let testDatabase: TestDatabase | null = null;
let env: Record<string, string>;
let base: string;
let running: Serving | null = null;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rezo-serve-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = { REZO_DATA_DIR: dataDir, REZO_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' };
  if (onPostgres) {
    testDatabase = await createTestDatabase();
    env.DATABASE_URL = testDatabase.url!;
  }
});
after(async () => {
  // A failed test must not leave a server running.
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  await testDatabase?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * A raw HTTP/1.1 POST whose body is sent in two parts, `duringPause` running between them; resolves
 * with the POST's whole answer. A GET /healthz goes first on the same connection, so the POST's
 * headers reach a node that has already accepted and served this connection.
 */
function slowPost(
  path: string,
  headers: Record<string, string>,
  body: string,
  duringPause: () => Promise<void>,
): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let posted = false;
    // The POST's answer follows the one of GET /healthz; none at all means the connection was cut.
    const done = () => {
      const second = received.indexOf('HTTP/1.1', 1);
      resolve(second === -1 ? '' : received.slice(second));
    };
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', reject);
    socket.on('data', async (d) => {
      received += d.toString();
      if (posted || !received.includes('{"status":"ok"}')) return;
      posted = true;
      const head = [
        `POST ${path} HTTP/1.1`,
        `host: ${url.host}`,
        `content-length: ${Buffer.byteLength(body)}`,
        'connection: close',
      ]
        .concat(Object.entries(headers).map(([k, v]) => `${k}: ${v}`))
        .join('\r\n');
      const cut = Math.floor(body.length / 2);
      socket.write(`${head}\r\n\r\n${body.slice(0, cut)}`);
      try {
        await duringPause();
      } catch (error) {
        reject(error);
      }
      // write, not end: a client that half-closes its side makes Node abort the request (no
      // allowHalfOpen), which a browser never does. The node closes the connection after answering.
      socket.write(body.slice(cut));
    });
    socket.on('connect', () => socket.write(`GET /healthz HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rezo serve', () => {
  test('starts with the demo, answers /healthz, finishes a request in flight on SIGTERM and restarts cleanly', async () => {
    running = await serve(env);
    const banner = running.output();
    assert.ok(banner.includes(`Rezo is running at ${base}`), banner);
    assert.match(banner, /Demo territory loaded: 4 venues/);
    const link = new RegExp(`${base.replace(/\./g, '\\.')}/login/[A-Za-z0-9_-]{43}`).exec(banner)?.[0];
    assert.ok(link, `a login link in:\n${banner}`);
    assert.match(banner, /admin@demo\.rezo\.test/);

    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal((await fetch(link)).status, 200);

    // A login form posted slowly: the node is told to stop after the headers and before the end of the body.
    const page = await fetch(`${base}/login`);
    const cookies = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const form = new URLSearchParams({ _csrf: csrf, email: 'late.visitor@example.org' }).toString();
    const child = running.child;
    const answer = await slowPost(
      '/login',
      { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
      form,
      async () => {
        await sleep(1000);
        child.kill('SIGTERM');
        await sleep(500);
      },
    );
    const code = await running.exited;
    assert.match(answer, /^HTTP\/1\.1 200 /, `answer:\n${answer.slice(0, 300)}\nnode output:\n${running.output()}`);
    assert.match(answer, /late\.visitor@example\.org/);
    assert.match(answer, /<\/html>\s*$/);
    assert.equal(code, 0, running.output());
    // New connections are refused once stopped.
    await assert.rejects(fetch(`${base}/healthz`));

    // Same data: starts again (the database was closed cleanly), without loading the demo twice.
    running = await serve(env);
    assert.ok(running.output().includes(`Rezo is running at ${base}`));
    assert.doesNotMatch(running.output(), /Demo territory loaded/);
    const again = await fetch(`${base}/healthz`);
    assert.equal(again.status, 200);
    // The form posted during the shutdown was committed, with its mail.
    const mail = await fetch(`${base}/dev/mail`);
    assert.match(await mail.text(), /late\.visitor@example\.org/);
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0, running.output());
  });
});

describe('/healthz', () => {
  test('answers 503 unavailable when the database is gone', async () => {
    const t = await createTestNode();
    try {
      assert.deepEqual((await t.app.inject('/healthz')).json(), { status: 'ok' });
      await t.testDatabase.database.close();
      const r = await t.app.inject('/healthz');
      assert.equal(r.statusCode, 503);
      assert.deepEqual(r.json(), { status: 'unavailable' });
    } finally {
      await t.close();
    }
  });
});
