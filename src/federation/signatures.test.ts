import assert from 'node:assert/strict';
import { createHash, KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { deliverOutbox, queueActivity } from './outbox.ts';
import { listenInbox } from './testFixtures.ts';

/** Independent verifiers of draft-cavage signatures: Gancio's (@peertube/http-signature) and Joyent's. */
type Verifier = {
  parseRequest(request: unknown, options?: unknown): unknown;
  verifySignature(parsed: unknown, pem: string): boolean;
};
const require = createRequire(import.meta.url);
const verifiers: Record<string, Verifier> = {
  '@peertube/http-signature': require('@peertube/http-signature') as Verifier,
  'http-signature': require('http-signature') as Verifier,
};

let t: TestNode;
const received: { request: IncomingMessage; body: string }[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (c: Buffer) => (body += c.toString('utf8')));
  request.on('end', () => {
    received.push({ request, body });
    response.writeHead(202).end();
  });
});
let inbox: string;

before(async () => {
  t = await createTestNode({ baseUrl: 'http://rezo.test' });
  inbox = await listenInbox(receiver);
});
after(async () => {
  receiver.close();
  await t.close();
});

const outboxRow = (activityId: string) =>
  t.db.selectFrom('federation_outbox').selectAll().where('activity_id', '=', activityId).executeTakeFirstOrThrow();

describe('outgoing deliveries', () => {
  test('each POST is signed (rsa-sha256, request-target host date digest) and verifies with both libraries', async () => {
    const activity = {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: 'http://rezo.test/ap/activities/1',
      type: 'Create',
      actor: 'http://rezo.test/ap/actors/relay',
      object: { id: 'http://rezo.test/ap/events/1', type: 'Event', name: 'Séga' },
    };
    await queueActivity(t.db, { sender: 'relay', inboxes: [inbox, inbox], activity });
    assert.equal(await deliverOutbox(t.db, t.config), 1, 'one row per inbox');
    const { request, body } = received[0]!;
    // The body is the activity with its object proof (proofs.ts) and the Data Integrity context.
    const { proof, '@context': context, ...sent } = JSON.parse(body) as Record<string, unknown>;
    const { '@context': _context, ...original } = activity;
    assert.deepEqual(sent, original);
    assert.deepEqual(context, [activity['@context'], 'https://w3id.org/security/data-integrity/v1']);
    assert.equal((proof as { cryptosuite: string }).cryptosuite, 'eddsa-jcs-2022');
    assert.equal(request.headers['content-type'], 'application/activity+json');
    const digest = `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
    assert.equal(request.headers.digest, digest);
    const keys = await actorKeyPairs(t.db, 'relay');
    const pem = KeyObject.from(keys.rsa.publicKey).export({ type: 'spki', format: 'pem' }).toString();
    const otherPem = KeyObject.from((await actorKeyPairs(t.db, 'other')).rsa.publicKey)
      .export({ type: 'spki', format: 'pem' })
      .toString();
    for (const [name, verifier] of Object.entries(verifiers)) {
      const parsed = verifier.parseRequest(request, { headers: ['(request-target)', 'host', 'date', 'digest'] }) as {
        keyId: string;
        algorithm: string;
      };
      assert.equal(parsed.keyId, 'http://rezo.test/ap/actors/relay#main-key', name);
      assert.equal(parsed.algorithm, 'RSA-SHA256', name);
      assert.equal(verifier.verifySignature(parsed, pem), true, name);
      assert.equal(verifier.verifySignature(parsed, otherPem), false, `${name}: another key fails`);
    }
  });

  test('a refusal (4xx) fails the delivery at once; a private address is refused in production', async () => {
    const refusing = createServer((_q, r) => r.writeHead(403).end());
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', () => resolve()));
    const address = refusing.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/inbox`;
    const activity = {
      id: 'http://rezo.test/ap/activities/2',
      type: 'Create',
      actor: 'http://rezo.test/ap/actors/relay',
    };
    await queueActivity(t.db, { sender: 'relay', inboxes: [url], activity });
    await deliverOutbox(t.db, t.config);
    const row = await outboxRow(activity.id);
    assert.deepEqual([row.state, row.last_status, row.attempts], ['failed', 403, 1]);
    refusing.close();

    const production = { ...t.config, federationAllowPrivate: false };
    const third = { id: 'http://rezo.test/ap/activities/3', type: 'Create', actor: 'http://rezo.test/ap/actors/relay' };
    await queueActivity(t.db, { sender: 'relay', inboxes: [inbox], activity: third });
    const before = received.length;
    await deliverOutbox(t.db, production);
    const refused = await outboxRow(third.id);
    assert.equal(refused.state, 'failed');
    assert.match(String(refused.last_error), /private address/);
    assert.equal(received.length, before, 'nothing was sent');
  });
});
