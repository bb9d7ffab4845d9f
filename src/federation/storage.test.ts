import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Temporal } from '@js-temporal/polyfill';
import { createTestDatabase, type TestDatabase } from '../../test/testDatabase.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { KyselyKvStore, purgeExpiredKv } from './kvStore.ts';
import { KyselyMessageQueue } from './messageQueue.ts';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(async () => t.close());

describe('federation storage on the database', () => {
  test('the KV store keeps, replaces and deletes JSON values by key', async () => {
    const kv = new KyselyKvStore(t.database.db);
    assert.equal(await kv.get(['_fedify', 'x']), undefined);
    await kv.set(['_fedify', 'x'], { a: 1, b: ['c'] });
    assert.deepEqual(await kv.get(['_fedify', 'x']), { a: 1, b: ['c'] });
    assert.equal(await kv.get(['_fedify']), undefined, 'a prefix is another key');
    await kv.set(['_fedify', 'x'], true);
    assert.equal(await kv.get(['_fedify', 'x']), true);
    await kv.delete(['_fedify', 'x']);
    assert.equal(await kv.get(['_fedify', 'x']), undefined);
  });

  test('an expired value reads as absent and is purged', async () => {
    const kv = new KyselyKvStore(t.database.db);
    await kv.set(['k', 'short'], 1, { ttl: Temporal.Duration.from({ seconds: 0 }) as never });
    await kv.set(['k', 'long'], 2, { ttl: Temporal.Duration.from({ hours: 1 }) as never });
    assert.equal(await kv.get(['k', 'short']), undefined);
    assert.equal(await kv.get(['k', 'long']), 2);
    assert.equal(await purgeExpiredKv(t.database.db), 1);
  });

  test('the queue hands each message once, after its delay, and listen stops on abort', async () => {
    const queue = new KyselyMessageQueue(t.database.db);
    await queue.enqueue({ n: 1 });
    await queue.enqueue({ n: 2 }, { delay: Temporal.Duration.from({ hours: 1 }) as never });
    await queue.enqueueMany([{ n: 3 }]);
    const seen: unknown[] = [];
    const controller = new AbortController();
    const listening = queue.listen(
      (m) => {
        seen.push(m);
        if (seen.length === 2) controller.abort();
      },
      { signal: controller.signal },
    );
    await listening;
    assert.deepEqual(seen, [{ n: 1 }, { n: 3 }]);
    assert.equal(await queue.take(), undefined, 'the delayed message is not due');
  });

  test("an actor's keys are made once and read back the same", async () => {
    const db = t.database.db;
    const [a, b] = await Promise.all([actorKeyPairs(db, 'relay'), actorKeyPairs(db, 'relay')]);
    assert.equal(a, b);
    assert.equal(a.rsa.privateKey.algorithm.name, 'RSASSA-PKCS1-v1_5');
    assert.equal(a.ed25519.publicKey.algorithm.name, 'Ed25519');
    const rows = await db.selectFrom('federation_actor_keys').select('actor').execute();
    assert.deepEqual(
      rows.map((r) => r.actor),
      ['relay'],
    );
  });
});
