import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Activity, DataIntegrityProof, getDocumentLoader, verifyObject, verifyProof } from '@fedify/fedify';
import type { DocumentLoader } from '@fedify/fedify';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { deliverOutbox, queueActivity } from './outbox.ts';
import { listenInbox } from './testFixtures.ts';
import { addProof, canonicalJson, DATA_INTEGRITY_CONTEXT, multibaseBase58btc } from './proofs.ts';

/** Object integrity proofs (FEP-8b32) on what Rezo sends, checked with Fedify's own verifier. */
const BASE = 'http://rezo.test';
let t: TestNode;
const bodies: string[] = [];
const seen = new Set<string>();
// Refuses the first POST of each activity (500), accepts the next: the retry must send the same proof.
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (c: Buffer) => (body += c.toString('utf8')));
  request.on('end', () => {
    bodies.push(body);
    const id = String((JSON.parse(body) as { id: unknown }).id);
    response.writeHead(seen.has(id) ? 202 : 500).end();
    seen.add(id);
  });
});
let inbox: string;

before(async () => {
  t = await createTestNode({ baseUrl: BASE, federationRetryMs: 10 });
  inbox = await listenInbox(receiver);
});
after(async () => {
  receiver.close();
  await t.close();
});

/** Serves the node's own documents (the actor holding `#key-2`) and Fedify's preloaded contexts. */
const preloaded = getDocumentLoader();
const documentLoader: DocumentLoader = async (url) => {
  if (!url.startsWith(BASE)) return preloaded(url);
  const target = new URL(url);
  const response = await t.app.inject({
    method: 'GET',
    url: target.pathname,
    headers: { accept: 'application/activity+json' },
  });
  assert.equal(response.statusCode, 200, url);
  return { contextUrl: null, documentUrl: url, document: JSON.parse(response.body) as unknown };
};
const options = { documentLoader, contextLoader: preloaded };

const relay = `${BASE}/ap/actors/relay`;
const activity = (n: number) => ({
  '@context': 'https://www.w3.org/ns/activitystreams',
  id: `${BASE}/ap/activities/proof-${n}`,
  type: 'Create',
  actor: relay,
  to: ['https://www.w3.org/ns/activitystreams#Public'],
  object: {
    id: `${BASE}/ap/events/${n}`,
    type: 'Event',
    name: 'Séga à Saint-Pierre 🎶',
    startTime: '2026-12-24T19:00:00Z',
  },
});
const queued = async (n: number) => {
  await queueActivity(t.db, { sender: 'relay', inboxes: [inbox], activity: activity(n) });
  const row = await t.db
    .selectFrom('federation_outbox')
    .select('body')
    .where('activity_id', '=', activity(n).id)
    .executeTakeFirstOrThrow();
  return (typeof row.body === 'string' ? JSON.parse(row.body) : row.body) as Record<string, unknown>;
};
const proofOf = (signed: Record<string, unknown>) =>
  DataIntegrityProof.fromJsonLd({ '@context': signed['@context'], ...(signed.proof as object) }, options);

describe('object integrity proofs (FEP-8b32)', () => {
  test('the queued activity carries an eddsa-jcs-2022 proof by #key-2 that Fedify verifies', async () => {
    const signed = await queued(1);
    const proof = signed.proof as Record<string, string>;
    assert.deepEqual(
      { ...proof, created: undefined, proofValue: undefined },
      {
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-jcs-2022',
        verificationMethod: `${relay}#key-2`,
        proofPurpose: 'assertionMethod',
        created: undefined,
        proofValue: undefined,
      },
    );
    assert.match(proof.created!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(proof.proofValue!, /^z[1-9A-HJ-NP-Za-km-z]{80,90}$/);
    assert.deepEqual(signed['@context'], ['https://www.w3.org/ns/activitystreams', DATA_INTEGRITY_CONTEXT]);
    const { proof: _proof, '@context': _context, ...rest } = signed;
    const { '@context': _c, ...original } = activity(1);
    assert.deepEqual(rest, original, 'nothing else changed');

    const key = await verifyProof(signed, await proofOf(signed), options);
    assert.equal(key?.id?.href, `${relay}#key-2`);
    assert.equal(key?.controllerId?.href, relay);
    const verified = await verifyObject(Activity, signed, options);
    assert.equal(verified?.id?.href, activity(1).id, 'every actor is authenticated by the proof');
  });

  test('a changed field, a changed @context or another key fails verification', async () => {
    const signed = await queued(2);
    const object = signed.object as Record<string, unknown>;
    const tampered = { ...signed, object: { ...object, name: 'Séga à Saint-Paul 🎶' } };
    assert.equal(await verifyObject(Activity, tampered, options), null);
    assert.equal(await verifyProof(tampered, await proofOf(signed), options), null);
    const recontexted = {
      ...signed,
      '@context': [...(signed['@context'] as string[]), 'https://w3id.org/security/v1'],
    };
    assert.equal(await verifyObject(Activity, recontexted, options), null);
    const late = { ...signed, proof: { ...(signed.proof as object), created: '2030-01-01T00:00:00Z' } };
    assert.equal(await verifyObject(Activity, late, options), null);
    // Signed by another key under the relay's name: refused.
    const other = await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify']);
    const forged = await addProof(activity(2), (other as CryptoKeyPair).privateKey, `${relay}#key-2`);
    assert.equal(await verifyObject(Activity, forged, options), null);
  });

  test('the proof is made once at queue time: a retry sends the same body, proof included', async () => {
    const signed = await queued(3);
    await deliverOutbox(t.db, t.config);
    await t.db
      .updateTable('federation_outbox')
      .set({ next_attempt_at: new Date(0) })
      .execute();
    await deliverOutbox(t.db, t.config);
    const row = await t.db
      .selectFrom('federation_outbox')
      .select(['state', 'attempts'])
      .where('activity_id', '=', activity(3).id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'sent', attempts: 2 });
    const sent = bodies.filter((b) => b.includes(activity(3).id));
    assert.equal(sent.length, 2);
    assert.equal(sent[0], sent[1], 'both attempts carried the same bytes');
    assert.deepEqual(JSON.parse(sent[1]!), signed);
    assert.notEqual(await verifyObject(Activity, JSON.parse(sent[1]!), options), null);
  });

  test('an activity whose actor is not the sender is refused before anything is queued', async () => {
    await assert.rejects(
      queueActivity(t.db, {
        sender: 'relay',
        inboxes: [inbox],
        activity: { ...activity(4), actor: `${BASE}/ap/actors/x` },
      }),
      /is not the sender/,
    );
  });

  test('the proof bytes follow the spec: JCS of config then document, Ed25519, base58btc', async () => {
    assert.equal(
      canonicalJson({ b: [1, 'é', null], a: { d: 1e21, c: 0.5 }, '\u00e9': true }),
      '{"a":{"c":0.5,"d":1e+21},"b":[1,"é",null],"é":true}',
    );
    assert.equal(multibaseBase58btc(new Uint8Array([0, 0, 1, 2])), 'z115T');
    assert.equal(multibaseBase58btc(new TextEncoder().encode('Hello World!')), 'z2NEpo7TZRRrLZSi2U');
    const keys = await actorKeyPairs(t.db, 'relay');
    const created = new Date('2026-12-06T05:00:00.789Z');
    const signed = await addProof(activity(5), keys.ed25519.privateKey, `${relay}#key-2`, created);
    assert.equal((signed.proof as { created: string }).created, '2026-12-06T05:00:00Z');
    assert.equal(await addProof(signed, keys.ed25519.privateKey, `${relay}#key-2`), signed, 'signed once');
    assert.notEqual(await verifyObject(Activity, signed, options), null);
  });
});
