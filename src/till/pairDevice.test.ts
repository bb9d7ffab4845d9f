import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createTestNode, onPostgres, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { inTransaction } from '../db/database.ts';
import { readDeviceHeaders, signDeviceRequest, verifyDeviceRequest } from '../ledger/deviceSignature.ts';
import { createPlace } from '../places/createPlace.ts';
import { SYSTEM } from '../access/actor.ts';
import { createPairingCode } from './createPairingCode.ts';
import { PAIRING_ALPHABET, normalizePairingCode, pairingCodeHash } from './devices.ts';
import { PAIR_RATE_LIMIT } from './adminRoutes.ts';
import { pairDevice } from './pairDevice.ts';
import { purgePairingCodes } from './purgePairingCodes.ts';

let t: TestNode;
let admin: Client;
let placeId: string;
let otherPlaceId: string;
let adminId: string;
let addressCounter = 0;
/** Each test pairs from its own client address, so the per-address limiter counts only its own tries. */
const nextAddress = () => `10.1.0.${++addressCounter}`;

const newKey = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
};

const pair = (body: unknown, remoteAddress = nextAddress()) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/devices/pair',
    remoteAddress,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

const devicesOfPlace = async (id = placeId) =>
  t.db.selectFrom('ledger_devices').selectAll().where('place_id', '=', id).execute();

before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('admin@bar.example');
  assert.equal((await admin.postForm('/venues/new', { slug: 'le-bar', name: 'Le Bar' })).statusCode, 303);
  placeId = (await t.db.selectFrom('places').select('id').where('slug', '=', 'le-bar').executeTakeFirstOrThrow()).id;
  adminId = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'admin@bar.example').executeTakeFirstOrThrow()
  ).id;
  const other = await ensurePerson(t.db, 'admin@other.example', 'fr');
  otherPlaceId = (await createPlace(t.db, SYSTEM, { slug: 'autre-lieu', name: 'Autre lieu' }, other.id)).id;
});
after(async () => {
  await t.close();
});

test('a code is 8 easy characters, stored only as its SHA-256, valid 10 minutes', async () => {
  const p = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Bar 1' });
  assert.match(p.code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  for (const c of p.code.replace('-', '')) assert.ok(PAIRING_ALPHABET.includes(c), `${c} is in the alphabet`);
  assert.ok(!/[01OIL]/.test(p.code), 'no ambiguous characters');
  const rows = await t.db.selectFrom('device_pairings').selectAll().where('place_id', '=', placeId).execute();
  const row = rows.find((r) => r.code_sha256 === pairingCodeHash(normalizePairingCode(p.code)!));
  assert.ok(row, 'the hash is stored');
  assert.ok(!JSON.stringify(rows).includes(p.code.replace('-', '')), 'never the code itself');
  const ttl = row.expires_at.getTime() - row.created_at.getTime();
  assert.ok(Math.abs(ttl - 600_000) < 2000, `valid 10 minutes (${ttl} ms)`);
  assert.equal(
    normalizePairingCode(` ${p.code.toLowerCase().replace('-', ' ')} `),
    p.code.replace('-', ''),
    'typed in lower case with a space',
  );
  const audit = await t.db
    .selectFrom('audit_log')
    .select(['action', 'data'])
    .where('place_id', '=', placeId)
    .where('action', '=', 'till.pairing.created')
    .execute();
  assert.ok(audit.length >= 1 && !JSON.stringify(audit).includes(p.code.replace('-', '')), 'audited without the code');
});

test('a device pairs once with a code; used, wrong, expired codes and bad keys are refused and write nothing', async () => {
  const p = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Bar 2' });
  const key = newKey();

  const badKey = await pair({ code: p.code, publicKey: 'bm90IGEga2V5' });
  assert.equal(badKey.statusCode, 422);
  assert.deepEqual(
    badKey.json().errors.map((e: { field: string }) => e.field),
    ['publicKey'],
  );
  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');
  assert.equal((await pair({ code: p.code, publicKey: rsaKey })).statusCode, 422, 'not an Ed25519 key');
  assert.equal((await pair({ code: '', publicKey: key.publicKey })).statusCode, 422);
  assert.equal((await pair({ code: p.code })).statusCode, 422, 'missing key');
  const before = await devicesOfPlace();

  const wrong = await pair({ code: 'ABCD-EFGH', publicKey: key.publicKey });
  assert.equal(wrong.statusCode, 404);
  assert.equal(wrong.json().type.split('/').pop(), 'device-pairing-code');
  assert.equal((await pair({ code: 'not a code at all', publicKey: key.publicKey })).statusCode, 404);
  assert.equal((await devicesOfPlace()).length, before.length, 'refusals wrote nothing');

  const ok = await pair({ code: p.code.toLowerCase(), publicKey: key.publicKey });
  assert.equal(ok.statusCode, 201, ok.body);
  const paired = ok.json();
  assert.deepEqual(
    { ...paired, deviceId: undefined },
    { placeId, deviceId: undefined, kind: 'till', name: 'Bar 2', place: { name: 'Le Bar', slug: 'le-bar' } },
  );
  const device = (await devicesOfPlace()).find((d) => d.id === paired.deviceId);
  assert.equal(device?.public_key, key.publicKey);
  assert.equal(device?.name, 'Bar 2');
  const pairing = await t.db
    .selectFrom('device_pairings')
    .selectAll()
    .where('code_sha256', '=', pairingCodeHash(normalizePairingCode(p.code)!))
    .executeTakeFirstOrThrow();
  assert.equal(pairing.device_id, paired.deviceId);
  assert.ok(pairing.used_at);
  const audit = await t.db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', 'till.device.paired')
    .where('subject_id', '=', paired.deviceId)
    .executeTakeFirstOrThrow();
  assert.equal(audit.actor_person_id, adminId, 'the pairing is attributed to the admin who made the code');

  const again = await pair({ code: p.code, publicKey: newKey().publicKey });
  assert.equal(again.statusCode, 404, 'a code works once');
  assert.equal((await devicesOfPlace()).length, before.length + 1);

  const expired = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'scanner', name: 'Entrée' });
  await t.db
    .updateTable('device_pairings')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('code_sha256', '=', pairingCodeHash(normalizePairingCode(expired.code)!))
    .execute();
  assert.equal(
    (await pair({ code: expired.code, publicKey: newKey().publicKey })).statusCode,
    404,
    'an expired code is refused',
  );
  assert.equal((await devicesOfPlace()).length, before.length + 1);
  const pending = await t.db
    .selectFrom('device_pairings')
    .select('used_at')
    .where('code_sha256', '=', pairingCodeHash(normalizePairingCode(expired.code)!))
    .executeTakeFirstOrThrow();
  assert.equal(pending.used_at, null, 'the expired code was not consumed');
});

test(
  '10 devices racing for one code: exactly one is paired',
  { skip: !onPostgres && 'needs PostgreSQL (real concurrency)' },
  async () => {
    const p = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Course' });
    const before = (await devicesOfPlace()).length;
    const address = nextAddress();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => pair({ code: p.code, publicKey: newKey().publicKey }, address)),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    assert.deepEqual(statuses, [201, 404, 404, 404, 404, 404, 404, 404, 404, 404]);
    const after = await devicesOfPlace();
    assert.equal(after.length, before + 1);
    assert.equal(after.filter((d) => d.name === 'Course').length, 1);
  },
);

test(`pairing attempts are limited to ${PAIR_RATE_LIMIT.max} per client address`, async () => {
  const address = nextAddress();
  const key = newKey().publicKey;
  for (let i = 0; i < PAIR_RATE_LIMIT.max; i++)
    assert.equal((await pair({ code: 'ZZZZ-ZZZZ', publicKey: key }, address)).statusCode, 404);
  const p = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Trop tard' });
  const limited = await pair({ code: p.code, publicKey: key }, address);
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().type.split('/').pop(), 'rate-limited');
  assert.equal(
    (await devicesOfPlace()).filter((d) => d.name === 'Trop tard').length,
    0,
    'even a good code is refused from that address',
  );
  assert.equal(
    (await pair({ code: p.code, publicKey: key }, nextAddress())).statusCode,
    201,
    'another address is not limited',
  );
});

test('the pairing use case refuses codes in the same transaction as it consumes them (two sequential uses)', async () => {
  const p = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'scanner', name: 'Porte' });
  const first = await pairDevice(t.db, { code: p.code, publicKey: newKey().publicKey });
  assert.equal(first.kind, 'scanner');
  await assert.rejects(
    pairDevice(t.db, { code: p.code, publicKey: newKey().publicKey }),
    (e: { code?: string; status?: number }) => e.code === 'device-pairing-code' && e.status === 404,
  );
});

test('a revoked device is refused at once; renaming keeps it working', async () => {
  const p = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Caisse volée' });
  const key = newKey();
  const { deviceId } = (await pair({ code: p.code, publicKey: key.publicKey })).json();
  const signed = (body: string) => {
    const path = '/api/v1/till/config';
    const headers = signDeviceRequest(key.privateKey, { placeId, deviceId, method: 'GET', path, body });
    return readDeviceHeaders(headers, { method: 'GET', path, body })!;
  };
  assert.deepEqual(await inTransaction(t.db, (trx) => verifyDeviceRequest(trx, signed(''))), {
    placeId,
    deviceId,
    kind: 'till',
  });

  const page = await admin.get('/venues/le-bar/admin/devices');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Caisse volée/);
  const renamed = await admin.postForm(`/venues/le-bar/admin/devices/${deviceId}/rename`, { name: 'Caisse 3' });
  assert.equal(renamed.statusCode, 303);
  const emptyName = await admin.postForm(`/venues/le-bar/admin/devices/${deviceId}/rename`, { name: '  ' });
  assert.equal(emptyName.statusCode, 422);
  assert.match(emptyName.body, /Ce champ est obligatoire/);
  assert.equal((await devicesOfPlace()).find((d) => d.id === deviceId)?.name, 'Caisse 3');
  assert.deepEqual(await inTransaction(t.db, (trx) => verifyDeviceRequest(trx, signed('x'))), {
    placeId,
    deviceId,
    kind: 'till',
  });

  const revoked = await admin.postForm(`/venues/le-bar/admin/devices/${deviceId}/revoke`, {});
  assert.equal(revoked.statusCode, 303);
  await assert.rejects(
    inTransaction(t.db, (trx) => verifyDeviceRequest(trx, signed('y'))),
    (e: { code?: string; status?: number; params?: { reason?: string } }) =>
      e.code === 'ledger-device-signature' && e.status === 401 && e.params?.reason === 'device',
  );
  const list = await admin.get('/venues/le-bar/admin/devices');
  assert.match(list.body, /révoqué le/);
  const audit = await t.db
    .selectFrom('audit_log')
    .select('action')
    .where('subject_id', '=', deviceId)
    .orderBy('id')
    .execute();
  assert.deepEqual(
    audit.map((a) => a.action),
    ['till.device.paired', 'till.device.renamed', 'till.device.revoked'],
  );
});

test('the devices page makes a code with its QR; bad input is explained; the old path redirects', async () => {
  const redirect = await admin.get('/places/le-bar/devices');
  assert.equal(redirect.statusCode, 301);
  assert.equal(redirect.headers.location, '/venues/le-bar/admin/devices');
  const bad = await admin.postForm('/venues/le-bar/admin/devices/pairings', { name: '', kind: 'toaster' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Ce champ est obligatoire/);
  assert.match(bad.body, /Ce choix n’est pas possible/);
  const made = await admin.postForm('/venues/le-bar/admin/devices/pairings', { name: 'Bar terrasse', kind: 'till' });
  assert.equal(made.statusCode, 201);
  const code = /<p class="mono"[^>]*>([A-Z2-9]{4}-[A-Z2-9]{4})<\/p>/.exec(made.body)?.[1];
  assert.ok(code, 'the code is shown');
  assert.match(made.body, /<svg role="img"/);
  assert.ok(made.body.includes(`/till#pair=${code}`), 'the QR holds the till address with the code');
  assert.match(made.body, /Codes en attente/);
  const english = await admin.get('/venues/le-bar/admin/devices?lang=en');
  assert.match(english.body, /Pair a device/);
  const ok = await pair({ code, publicKey: newKey().publicKey });
  assert.equal(ok.statusCode, 201);
  assert.equal(ok.json().name, 'Bar terrasse');
});

test('only the venue admin pairs, renames and revokes: another venue, a cashier, a key without place:write → 403, nothing written', async () => {
  const cashier = await t.loginAs('cashier@bar.example');
  const cashierId = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'cashier@bar.example').executeTakeFirstOrThrow()
  ).id;
  await t.db.insertInto('place_members').values({ place_id: placeId, person_id: cashierId, role: 'cashier' }).execute();
  const otherAdmin = await t.loginAs('admin@other.example');
  const device = (await devicesOfPlace()).find((d) => !d.revoked_at)!;
  const pairingsBefore = (await t.db.selectFrom('device_pairings').select('code_sha256').execute()).length;

  for (const client of [cashier, otherAdmin]) {
    assert.equal((await client.get('/venues/le-bar/admin/devices')).statusCode, 403);
    assert.equal(
      (await client.postForm('/venues/le-bar/admin/devices/pairings', { name: 'Pirate', kind: 'till' })).statusCode,
      403,
    );
    assert.equal((await client.postForm(`/venues/le-bar/admin/devices/${device.id}/revoke`, {})).statusCode, 403);
    assert.equal(
      (await client.postForm(`/venues/le-bar/admin/devices/${device.id}/rename`, { name: 'Pirate' })).statusCode,
      403,
    );
    assert.equal(
      (await client.api('POST', `/api/v1/places/${placeId}/devices/pairings`, { name: 'Pirate', kind: 'till' }))
        .statusCode,
      403,
    );
    assert.equal((await client.api('POST', `/api/v1/places/${placeId}/devices/${device.id}/revoke`)).statusCode, 403);
    assert.equal((await client.api('GET', `/api/v1/places/${placeId}/devices`)).statusCode, 403);
  }
  // The other admin cannot reach this venue's device through their own venue either.
  assert.equal(
    (await otherAdmin.api('POST', `/api/v1/places/${otherPlaceId}/devices/${device.id}/revoke`)).statusCode,
    404,
  );
  assert.equal(
    (await otherAdmin.api('PATCH', `/api/v1/places/${otherPlaceId}/devices/${device.id}`, { name: 'Pirate' }))
      .statusCode,
    404,
  );

  const readOnly = await createApiKey(t.db, personActor(adminId), {
    slug: 'le-bar',
    name: 'lecture',
    scopes: ['place:read'],
  });
  assert.equal(
    (
      await withKey(t.app, readOnly.secret, 'POST', `/api/v1/places/${placeId}/devices/pairings`, {
        name: 'Pirate',
        kind: 'till',
      })
    ).statusCode,
    403,
  );
  const after = await devicesOfPlace();
  assert.equal(after.find((d) => d.id === device.id)?.revoked_at, null);
  assert.equal(after.find((d) => d.id === device.id)?.name, device.name);
  assert.equal(
    (await t.db.selectFrom('device_pairings').select('code_sha256').execute()).length,
    pairingsBefore,
    'no code was made',
  );

  // A key with place:write of this venue may pair, list, rename and revoke.
  const writer = await createApiKey(t.db, personActor(adminId), {
    slug: 'le-bar',
    name: 'intégration',
    scopes: ['place:write'],
  });
  const made = await withKey(t.app, writer.secret, 'POST', `/api/v1/places/${placeId}/devices/pairings`, {
    name: 'Par API',
    kind: 'scanner',
  });
  assert.equal(made.statusCode, 201, made.body);
  assert.match(made.json().code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  // A scanner's code opens the door page, never a till.
  assert.ok(made.json().url.endsWith(`/door#pair=${made.json().code}`));
  const bad = await withKey(t.app, writer.secret, 'POST', `/api/v1/places/${placeId}/devices/pairings`, {
    name: 'x'.repeat(81),
    kind: 'till',
  });
  assert.equal(bad.statusCode, 422);
  const { deviceId } = (await pair({ code: made.json().code, publicKey: newKey().publicKey })).json();
  const list = await withKey(t.app, writer.secret, 'GET', `/api/v1/places/${placeId}/devices`);
  assert.equal(list.statusCode, 200);
  assert.ok(list.json().devices.some((d: { id: string; kind: string }) => d.id === deviceId && d.kind === 'scanner'));
  assert.equal(
    (
      await withKey(t.app, writer.secret, 'PATCH', `/api/v1/places/${placeId}/devices/${deviceId}`, { name: 'Porte 2' })
    ).json().name,
    'Porte 2',
  );
  const revoked = await withKey(t.app, writer.secret, 'POST', `/api/v1/places/${placeId}/devices/${deviceId}/revoke`);
  assert.equal(revoked.statusCode, 200);
  assert.ok(revoked.json().revokedAt);
  assert.equal(
    (await withKey(t.app, writer.secret, 'GET', `/api/v1/places/${otherPlaceId}/devices`)).statusCode,
    403,
    'a key of one venue cannot read another',
  );
});

test('housekeeping deletes codes that expired unused more than a day ago, and keeps used and recent ones', async () => {
  const hashOf = (code: string) => pairingCodeHash(normalizePairingCode(code)!);
  const old = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Oublié' });
  const yesterday = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Hier' });
  const used = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Servi' });
  assert.equal((await pair({ code: used.code, publicKey: newKey().publicKey })).statusCode, 201);
  const fresh = await createPairingCode(t.db, personActor(adminId), { placeId, kind: 'till', name: 'Neuf' });
  const setExpiry = (code: string, ms: number) =>
    t.db
      .updateTable('device_pairings')
      .set({ expires_at: new Date(Date.now() - ms) })
      .where('code_sha256', '=', hashOf(code))
      .execute();
  await setExpiry(old.code, 25 * 3600_000);
  await setExpiry(yesterday.code, 23 * 3600_000);
  await setExpiry(used.code, 48 * 3600_000);
  const deleted = await purgePairingCodes(t.db);
  assert.ok(deleted >= 1);
  const left = new Set(
    (await t.db.selectFrom('device_pairings').select('code_sha256').execute()).map((r) => r.code_sha256),
  );
  assert.equal(left.has(hashOf(old.code)), false, 'expired unused for more than a day: deleted');
  for (const kept of [yesterday, used, fresh]) assert.equal(left.has(hashOf(kept.code)), true, `${kept.code} is kept`);
  assert.equal(await purgePairingCodes(t.db), 0, 'a second run finds nothing');
});
