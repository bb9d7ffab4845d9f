import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM, type ApiKeyActor } from '../access/actor.ts';
import { isCode } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTransfers } from './createTransfers.ts';
import { bodySha256, readDeviceHeaders, signDeviceRequest } from './deviceSignature.ts';
import { historyOf } from './historyOf.ts';
import { placeReceipts } from './placeReceipts.ts';
import { registerDevice } from './registerDevice.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { issueWalletPass, readWalletPass, WALLET_PASS_TTL_MS } from './walletPass.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

const count = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(db)).rows[0]!.n);
const nonces = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_device_nonces`.execute(db)).rows[0]!.n);
const PATH = '/api/v1/devices/transfers';
/** A wallet pass's intent at venue B (the till's venue), for any amount these tests take. */
const atB = () => ({ placeId: w.venueB.id, maxAmount: 100_000 });

/** A device-signed request as the till sends it, read back as the route reads it. */
function signed(
  body: object,
  overrides: { timestamp?: number; nonce?: string; key?: ReturnType<typeof generateKeyPairSync>['privateKey'] } = {},
) {
  const text = JSON.stringify(body);
  const headers = signDeviceRequest(overrides.key ?? w.device.privateKey, {
    placeId: w.device.placeId,
    deviceId: w.device.id,
    method: 'POST',
    path: PATH,
    body: text,
    ...(overrides.timestamp !== undefined ? { timestamp: overrides.timestamp } : {}),
    ...(overrides.nonce ? { nonce: overrides.nonce } : {}),
  });
  return readDeviceHeaders(headers, { method: 'POST', path: PATH, body: text })!;
}

describe('who may move money (rule 6) and device signatures (rule 8)', () => {
  test('a person cannot spend from someone else’s wallet', async () => {
    const alice = await w.person();
    const bob = await w.person();
    await w.fund(alice.euro.id, 500);
    const before = await count();
    await assert.rejects(
      createTransfers(db, bob.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: alice.euro.id, creditAccountId: bob.euro.id, amount: 10, kind: 'transfer' },
        ],
      }),
      isCode('forbidden'),
    );
    assert.equal(await count(), before);
  });

  test('nobody mints through a transfer: debiting an issuance account is refused', async () => {
    const p = await w.person();
    const issuance = await db
      .selectFrom('ledger_accounts')
      .select('id')
      .where('currency_id', '=', w.euro.id)
      .where('owner_ref', '=', 'issuance')
      .executeTakeFirstOrThrow();
    await assert.rejects(
      createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: issuance.id, creditAccountId: p.euro.id, amount: 10, kind: 'transfer' },
        ],
      }),
      isCode('forbidden'),
    );
  });

  test('a device-signed payment with the holder’s wallet pass goes through and keeps the signature', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const venue = await w.placeAccount(w.venueB.id, w.euro);
    const { pass } = await issueWalletPass(db, p.actor, atB());
    const body = {
      transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 300, kind: 'payment' }],
      holder: pass,
      session: w.session,
    };
    const device = signed(body);
    const r = await createTransfers(db, null, { ...body, device });
    assert.equal(r.transfers[0]!.authorisedBy, 'device');
    assert.equal(r.transfers[0]!.authoriserId, w.device.id);
    const stored = await db
      .selectFrom('ledger_transfers')
      .select('device_signature')
      .where('id', '=', body.transfers[0]!.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(stored.device_signature, device);
  });

  test('a till retrying a payment gets its first answer, even once the pass has expired; the id with another body or account: 409', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const venue = await w.placeAccount(w.venueB.id, w.euro);
    // A pass with one second left: the retry comes after it expired.
    const { pass } = await issueWalletPass(db, p.actor, atB(), Date.now() - WALLET_PASS_TTL_MS + 1000);
    const body = {
      transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 250, kind: 'payment' }],
      holder: pass,
      session: w.session,
    };
    const first = await createTransfers(db, null, { ...body, device: signed(body) });
    assert.equal(first.replayed, false);
    await new Promise((r) => setTimeout(r, 1100));
    await assert.rejects(readWalletPass(db, pass), isCode('ledger-holder-absent'));
    const again = await createTransfers(db, null, { ...body, device: signed(body) });
    assert.equal(again.replayed, true);
    assert.deepEqual(again.transfers, first.transfers);
    const before = await count();
    const other = { ...body, transfers: [{ ...body.transfers[0]!, amount: 251 }] };
    await assert.rejects(
      createTransfers(db, null, { ...other, device: signed(other) }),
      isCode('ledger-transfer-id-conflict'),
    );
    const unknown = { ...body, transfers: [{ ...body.transfers[0]!, debitAccountId: uuidv7() }] };
    await assert.rejects(
      createTransfers(db, null, { ...unknown, device: signed(unknown) }),
      isCode('ledger-transfer-id-conflict'),
    );
    // A new id with an unknown account is a plain 404.
    const missing = { ...body, transfers: [{ ...body.transfers[0]!, id: uuidv7(), debitAccountId: uuidv7() }] };
    await assert.rejects(createTransfers(db, null, { ...missing, device: signed(missing) }), isCode('not-found'));
    assert.equal(await count(), before);
    const balance = await db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', p.euro.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(balance.balance), 750);
  });

  test('replayed signature, stale timestamp, wrong key, revoked device: refused, nothing written', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const venue = await w.placeAccount(w.venueB.id, w.euro);
    const { pass } = await issueWalletPass(db, p.actor, atB());
    const body = () => ({
      transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 10, kind: 'payment' }],
      holder: pass,
      session: w.session,
    });
    const first = body();
    const device = signed(first);
    await createTransfers(db, null, { ...first, device });
    const before = await count();
    const noncesBefore = await nonces();
    // The very same signed request again (an attacker replaying what they captured).
    await assert.rejects(
      createTransfers(db, null, { ...first, device }),
      (e: unknown) => isCode('ledger-device-signature')(e) && (e as DomainError).params.reason === 'replay',
    );
    const stale = body();
    await assert.rejects(
      createTransfers(db, null, { ...stale, device: signed(stale, { timestamp: Date.now() - 6 * 60_000 }) }),
      (e: unknown) => (e as DomainError).params.reason === 'timestamp',
    );
    const wrong = body();
    const { privateKey: otherKey } = generateKeyPairSync('ed25519');
    await assert.rejects(
      createTransfers(db, null, { ...wrong, device: signed(wrong, { key: otherKey }) }),
      (e: unknown) => (e as DomainError).params.reason === 'signature',
    );
    // A body changed after signing (amount raised): the route hashes the body it received, which
    // no longer matches what the device signed.
    const original = body();
    const changed = { ...original, transfers: [{ ...original.transfers[0]!, amount: 999 }] };
    await assert.rejects(
      createTransfers(db, null, {
        ...changed,
        device: { ...signed(original), bodySha256: bodySha256(JSON.stringify(changed)) },
      }),
      (e: unknown) => (e as DomainError).params.reason === 'signature',
    );
    assert.equal(await count(), before);
    assert.equal(await nonces(), noncesBefore);
    await db.updateTable('ledger_devices').set({ revoked_at: new Date() }).where('id', '=', w.device.id).execute();
    const revoked = body();
    await assert.rejects(
      createTransfers(db, null, { ...revoked, device: signed(revoked) }),
      (e: unknown) => (e as DomainError).params.reason === 'device',
    );
    await db.updateTable('ledger_devices').set({ revoked_at: null }).where('id', '=', w.device.id).execute();
    assert.equal(await count(), before);
  });

  test('a venue cannot debit a currency it does not accept, nor without the holder present', async () => {
    const p = await w.person();
    await w.fund(p.gift.id, 500, w.gift);
    await w.fund(p.euro.id, 500);
    const giftAtB = await w.placeAccount(w.venueB.id, w.gift);
    const euroAtB = await w.placeAccount(w.venueB.id, w.euro);
    const { pass } = await issueWalletPass(db, p.actor, atB());
    const before = await count();
    // The gift credit of venue A is not accepted at venue B.
    const gift = {
      transfers: [
        { id: uuidv7(), debitAccountId: p.gift.id, creditAccountId: giftAtB.id, amount: 10, kind: 'payment' },
      ],
      holder: pass,
      session: w.session,
    };
    await assert.rejects(
      createTransfers(db, null, { ...gift, device: signed(gift) }),
      isCode('ledger-currency-not-accepted'),
    );
    // Without a wallet pass, or with a pass of someone else, the holder is not present.
    const other = await w.person();
    const { pass: otherPass } = await issueWalletPass(db, other.actor, atB());
    for (const holder of [undefined, otherPass, pass.slice(0, -3) + 'AAA']) {
      const body = {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: euroAtB.id, amount: 10, kind: 'payment' },
        ],
        ...(holder ? { holder } : {}),
        session: w.session,
      };
      await assert.rejects(
        createTransfers(db, null, { ...body, device: signed(body) }),
        isCode('ledger-holder-absent'),
      );
    }
    // An API key of venue B with the till scope: same rules.
    const key: ApiKeyActor = { kind: 'apiKey', keyId: uuidv7(), placeId: w.venueB.id, scopes: ['till'] };
    await assert.rejects(createTransfers(db, key, gift), isCode('ledger-currency-not-accepted'));
    // A key without the till scope is refused outright.
    await assert.rejects(
      createTransfers(
        db,
        { ...key, scopes: ['place:read'] },
        { ...gift, transfers: [{ ...gift.transfers[0]!, id: uuidv7() }] },
      ),
      isCode('api-key-scope'),
    );
    assert.equal(await count(), before);
    const ok = await createTransfers(db, key, {
      transfers: [
        { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: euroAtB.id, amount: 10, kind: 'payment' },
      ],
      holder: pass,
    });
    assert.equal(ok.transfers[0]!.authorisedBy, 'api_key');
  });

  test('a person cannot read another person’s history; a venue sees only its own transfers', async () => {
    const alice = await w.person();
    const bob = await w.person();
    await w.fund(alice.euro.id, 100);
    await assert.rejects(historyOf(db, bob.actor, { accountId: alice.euro.id }), isCode('forbidden'));
    const own = await historyOf(db, alice.actor, {});
    assert.equal(own.transfers.length, 1);
    assert.equal((await historyOf(db, bob.actor, {})).transfers.length, 0);
    await assert.rejects(historyOf(db, null, {}), isCode('unauthenticated'));
    const key: ApiKeyActor = { kind: 'apiKey', keyId: uuidv7(), placeId: w.venueA.id, scopes: ['till'] };
    const receipts = await placeReceipts(db, key, { placeId: w.venueA.id });
    const venueAccounts = new Set(
      (await db.selectFrom('ledger_accounts').select('id').where('owner_ref', '=', w.venueA.id).execute()).map(
        (a) => a.id,
      ),
    );
    assert.ok(
      receipts.transfers.every((t) => venueAccounts.has(t.debitAccountId) || venueAccounts.has(t.creditAccountId)),
    );
    await assert.rejects(placeReceipts(db, key, { placeId: w.venueB.id }), isCode('api-key-scope'));
  });

  test('history pages with a cursor, newest first, without overlap', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const venue = await w.placeAccount(w.venueA.id, w.euro);
    for (let i = 0; i < 7; i++)
      await createTransfers(db, p.actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 1 + i, kind: 'payment' },
        ],
      });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await historyOf(db, p.actor, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...r.transfers.map((t) => t.id));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    assert.equal(seen.length, 8);
    assert.equal(new Set(seen).size, 8);
    await assert.rejects(historyOf(db, p.actor, { cursor: 'garbage' }), isCode('validation'));
  });

  test('registering a device needs a venue admin and a real Ed25519 public key', async () => {
    const p = await w.person();
    const { publicKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    await assert.rejects(
      registerDevice(db, p.actor, { placeId: w.venueA.id, name: 'x', kind: 'till', publicKey: spki }),
      isCode('forbidden'),
    );
    await assert.rejects(
      registerDevice(db, SYSTEM, { placeId: w.venueA.id, name: 'x', kind: 'till', publicKey: 'bm90IGEga2V5' }),
      isCode('validation'),
    );
    const { publicKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await assert.rejects(
      registerDevice(db, SYSTEM, {
        placeId: w.venueA.id,
        name: 'x',
        kind: 'till',
        publicKey: rsa.export({ format: 'der', type: 'spki' }).toString('base64'),
      }),
      isCode('validation'),
    );
    assert.ok(
      (await registerDevice(db, w.adminA, { placeId: w.venueA.id, name: 'Bar', kind: 'till', publicKey: spki })).id,
    );
  });
});
