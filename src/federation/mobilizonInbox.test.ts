import assert from 'node:assert/strict';
import { createHash, createSign, generateKeyPairSync } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fixture } from './fixtures/load.ts';
import { followed, startNode, type Running } from './testFixtures.ts';

/**
 * A Mobilizon group's Create of an Event through the real inbox over HTTP: the activity shaped like
 * Mobilizon's (its `@context` names litepub's, held locally), signed with node:crypto as Mobilizon
 * signs (draft-cavage, rsa-sha256, `(request-target) content-length date digest host`), its actor
 * served by a loopback server; the parsed fields are stored beside the raw JSON.
 */
let node: Running;
let remote: Server;
let origin: string;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const actorPath = '/@kabar_collectif';

before(async () => {
  remote = createServer((req, res) => {
    if (req.url !== actorPath) return void res.writeHead(404).end();
    const actor = `${origin}${actorPath}`;
    res.writeHead(200, { 'content-type': 'application/activity+json' });
    res.end(
      JSON.stringify({
        '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
        id: actor,
        type: 'Group',
        preferredUsername: 'kabar_collectif',
        name: 'Kabar collectif',
        inbox: `${actor}/inbox`,
        outbox: `${actor}/outbox`,
        followers: `${actor}/followers`,
        publicKey: {
          id: `${actor}#main-key`,
          owner: actor,
          publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }),
        },
      }),
    );
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  node = await startNode();
  await followed(node.db, `${origin}${actorPath}`);
});
after(async () => {
  await node?.close();
  await new Promise((resolve) => remote?.close(resolve));
});

/** POSTs `body` to the node's shared inbox, signed the way Mobilizon signs its deliveries. */
function deliver(body: string): Promise<number> {
  const url = new URL(`${node.url}/ap/inbox`);
  const headers: Record<string, string> = {
    host: url.host,
    date: new Date().toUTCString(),
    digest: `SHA-256=${createHash('sha256').update(body).digest('base64')}`,
    'content-length': String(Buffer.byteLength(body)),
    'content-type': 'application/activity+json',
  };
  const names = ['(request-target)', 'content-length', 'date', 'digest', 'host'];
  const signed = names.map((n) => `${n}: ${n === '(request-target)' ? `post ${url.pathname}` : headers[n]}`).join('\n');
  const signature = createSign('sha256').update(signed).sign(keys.privateKey, 'base64');
  headers.signature =
    `keyId="${origin}${actorPath}#main-key",algorithm="rsa-sha256",` +
    `headers="${names.join(' ')}",signature="${signature}"`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("a Mobilizon group's Create through the inbox", () => {
  test('verified, parsed, stored with its fields; the raw JSON kept', async () => {
    const body = JSON.stringify(fixture('mobilizon-create-event')).replaceAll('https://mobilizon.test', origin);
    assert.equal(await deliver(body), 202);
    const rows = await node.db.selectFrom('federation_remote_events').selectAll().execute();
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.origin_actor, `${origin}${actorPath}`);
    assert.equal(row.starts_at?.toISOString(), '2026-12-12T14:30:00.000Z');
    assert.deepEqual(row.tags, ['maloya', 'concert']);
    assert.equal(row.parsed?.name, "Kabar maloya au bord de l'eau");
    assert.equal(row.parsed?.timezone, 'Indian/Reunion');
    assert.equal(
      row.parsed?.place?.address,
      'Boulevard Leconte de Lisle, 97434 Saint-Gilles-les-Bains, La Réunion, France',
    );
    assert.equal(row.parsed?.ticketUrl, 'https://billetterie.test/kabar-maloya');
    assert.equal(row.parsed?.remainingCapacity, 37);
    assert.equal((row.raw as { startTime: string }).startTime, '2026-12-12T18:30:00+04:00');
  });
});
