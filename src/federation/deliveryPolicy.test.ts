import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { BREAKER_FAILURES, limitPerKey, MAX_DELAY_MS, retryAfterMs, retryDelayMs } from './deliveryPolicy.ts';
import { deliverOutbox, queueActivity } from './outbox.ts';

/** The outbox's manners toward receivers (docs/FEDERATION.md, "Delivery"), against a loopback receiver over HTTP. */
let t: TestNode;
let receiver: Server;
let inbox: string;
/** What the receiver answers next, and what it saw. */
let answer: { status: number; headers?: Record<string, string>; delayMs?: number } = { status: 202 };
let requests = 0;
let inFlight = 0;
let maxInFlight = 0;

before(async () => {
  t = await createTestNode({ baseUrl: 'http://rezo.test', federationRetryMs: 1000 });
  receiver = createServer((req, res) => {
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        inFlight--;
        res.writeHead(answer.status, answer.headers).end();
      }, answer.delayMs ?? 0),
    );
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  inbox = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/inbox`;
});
after(async () => {
  receiver.close();
  await t.close();
});
beforeEach(async () => {
  await t.db.deleteFrom('federation_outbox').execute();
  await t.db.deleteFrom('federation_kv').execute();
  requests = 0;
  maxInFlight = 0;
});

let n = 0;
async function queue(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const activity = {
      id: `http://rezo.test/ap/activities/${++n}`,
      type: 'Create',
      actor: 'http://rezo.test/ap/actors/relay',
    };
    await queueActivity(t.db, { sender: 'relay', inboxes: [inbox], activity });
  }
}
const rows = () => t.db.selectFrom('federation_outbox').selectAll().orderBy('id').execute();
const allDue = () =>
  t.db
    .updateTable('federation_outbox')
    .set({ next_attempt_at: new Date(Date.now() - 1000) })
    .execute();

describe('delivery policy (pure)', () => {
  test('backoff doubles, is capped at 12 h, and is spread ±20 %', () => {
    assert.equal(retryDelayMs(1000, 3, 0.5), 8000);
    assert.equal(retryDelayMs(1000, 3, 0), 6400);
    assert.equal(retryDelayMs(1000, 3, 0.999999), 9600);
    assert.equal(retryDelayMs(30_000, 30, 0.5), MAX_DELAY_MS);
  });

  test('Retry-After in seconds or as an HTTP date; unreadable or absent ignored; capped', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    assert.equal(retryAfterMs('120', now), 120_000);
    assert.equal(retryAfterMs('Sun, 06 Dec 2026 10:05:00 GMT', now), 300_000);
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs(null, now), null);
    assert.equal(retryAfterMs('999999999', now), MAX_DELAY_MS);
  });

  test('limitPerKey keeps at most `limit` tasks of one key running, results in order', async () => {
    const running = new Map<string, number>();
    let worst = 0;
    const items = ['a', 'a', 'a', 'a', 'a', 'a', 'b', 'b'];
    const out = await limitPerKey(
      items,
      (x) => x,
      2,
      async (x) => {
        running.set(x, (running.get(x) ?? 0) + 1);
        worst = Math.max(worst, running.get(x)!);
        await new Promise((r) => setTimeout(r, 10));
        running.set(x, running.get(x)! - 1);
        return x.toUpperCase();
      },
    );
    assert.equal(worst, 2);
    assert.deepEqual(out, ['A', 'A', 'A', 'A', 'A', 'A', 'B', 'B']);
  });
});

describe('delivery policy over HTTP', () => {
  test('at most 4 requests in flight to one host', async () => {
    answer = { status: 202, delayMs: 150 };
    await queue(10);
    assert.equal(await deliverOutbox(t.db, t.config), 10);
    assert.equal(maxInFlight, 4);
  });

  test('429 with Retry-After: the row waits what the receiver asked, not the backoff', async () => {
    answer = { status: 429, headers: { 'retry-after': '600' } };
    await queue(1);
    const before = Date.now();
    await deliverOutbox(t.db, t.config);
    const [row] = await rows();
    assert.equal(row!.state, 'pending');
    const wait = row!.next_attempt_at.getTime() - before;
    assert.ok(wait > 590_000 && wait < 620_000, `waits ~600 s, not 1 s: ${wait}`);
  });

  test('a host failing 5 times in a row is tried with one row per round until it answers', async () => {
    answer = { status: 503 };
    await queue(6);
    for (let round = 0; round < BREAKER_FAILURES; round++) {
      await allDue();
      await deliverOutbox(t.db, t.config);
    }
    assert.equal(requests, 6 * BREAKER_FAILURES, 'each round tried every row while the breaker was closed');
    requests = 0;
    await allDue();
    await deliverOutbox(t.db, t.config);
    assert.equal(requests, 1, 'paused: one row tried, the others wait');
    const waiting = (await rows()).filter((r) => r.last_error === 'host paused after repeated failures');
    assert.equal(waiting.length, 5);
    assert.ok(waiting.every((r) => r.next_attempt_at.getTime() > Date.now()));
    answer = { status: 202 };
    await allDue();
    requests = 0;
    await deliverOutbox(t.db, t.config);
    assert.equal(requests, 1, 'the host answers: the breaker closes after this round');
    await allDue();
    assert.equal(await deliverOutbox(t.db, t.config), 5);
  });
});
