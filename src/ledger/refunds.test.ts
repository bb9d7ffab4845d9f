import { blockCardByHolder } from '../cards/blockCard.ts';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { onPostgres, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { uuidv7 } from '../shared/ids.ts';
import {
  createTillWorld,
  signedRequest,
  type TillDevice,
  type TillWorld,
  useTillNode,
  openTillSession,
} from '../till/testFixtures.ts';
import { ensurePerson } from '../accounts/people.ts';
import { DEFAULT_REFUND_LIMITS } from './refundLimits.ts';
import { registerDevice } from './registerDevice.ts';
import { verifyLedger } from './verifyLedger.ts';
import { issueWalletPass } from './walletPass.ts';
import type { Account } from './ledger.ts';

/**
 * Issue 12 #1: a venue's own account could be drained by any paired device (a scanner too), a cashier
 * or a `till` key. Money leaves a venue's account only as a refund or payout, by someone holding the
 * `refund` permission, within the venue's limits, audited (docs/LEDGER.md, "Refunds and payouts").
 */
let t: TestNode;
let w: TillWorld;
let venue: Account;
let admin: Client;
let adminSession: string;
let adminCard: string;
let cashierSession: string;
let scanner: TillDevice;
let tillKey: string;
let refundKey: string;

useTillNode(async (opened) => {
  ({ t, w, session: cashierSession } = opened);
  venue = await w.ledger.placeAccount(w.placeId, w.euro);
  await w.ledger.fund(venue.id, 1_000_000);
  const adminEmail = (
    await t.db.selectFrom('people').select('email').where('id', '=', w.ledger.adminA.personId).executeTakeFirstOrThrow()
  ).email;
  admin = await t.loginAs(adminEmail);
  adminCard = (await w.newCard({ personId: w.ledger.adminA.personId })).uid;
  adminSession = await openTillSession(t.app, w, adminCard);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = await registerDevice(t.db, SYSTEM, {
    placeId: w.placeId,
    name: 'Door scanner',
    kind: 'scanner',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  scanner = { placeId: w.placeId, id: d.id, privateKey };
  const slug = w.ledger.venueA.slug;
  tillKey = (await createApiKey(t.db, SYSTEM, { slug, name: 'till', scopes: ['till'] })).secret;
  refundKey = (await createApiKey(t.db, SYSTEM, { slug, name: 'refunds', scopes: ['refund'] })).secret;
});

const written = async () =>
  (
    await sql<{
      t: string;
      r: string;
      a: string;
    }>`select (select count(*) from ledger_transfers) as t, (select count(*) from ledger_refunds) as r,
      (select count(*) from audit_log where action = 'ledger.refund') as a`.execute(t.db)
  ).rows[0];
const balanceOf = async (id: string) =>
  Number(
    (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance,
  );

/** A refund from the venue's euro account to a wallet, as the API takes it. */
const refund = (to: string, amount: number, extra: Record<string, unknown> = {}, kind = 'refund') => ({
  transfers: [
    { id: uuidv7(), debitAccountId: venue.id, creditAccountId: to, amount, kind, metadata: { reason: 'test' } },
  ],
  ...extra,
});
const byDevice = (device: TillDevice, body: object) => signedRequest(t.app, device, 'POST', '/api/v1/transfers', body);

async function member(role: 'cashier' | 'door' | 'editor'): Promise<Client> {
  const email = `${role}-${uuidv7()}@example.org`;
  const p = await ensurePerson(t.db, email, 'en');
  await t.db.insertInto('place_members').values({ place_id: w.placeId, person_id: p.id, role }).execute();
  return t.loginAs(email);
}

describe('money leaving a venue’s account (issue 12 #1)', () => {
  test('a scanner, a cashier, door or editor, a till key, a till without a session or with a cashier’s session: 403, nothing written', async () => {
    const p = await w.ledger.person('refunded');
    const before = await written();
    const refused: [string, { statusCode: number; body: string }, string][] = [
      ['scanner', await byDevice(scanner, refund(p.euro.id, 100)), 'ledger-device-kind'],
      ['till, no session', await byDevice(w.device, refund(p.euro.id, 100)), 'ledger-staff-session'],
      [
        'till, cashier session',
        await byDevice(w.device, refund(p.euro.id, 100, { session: cashierSession })),
        'forbidden',
      ],
      ['till key', await withKey(t.app, tillKey, 'POST', '/api/v1/transfers', refund(p.euro.id, 100)), 'api-key-scope'],
      [
        'admin, kind payment',
        await admin.api('POST', '/api/v1/transfers', refund(p.euro.id, 100, { placeId: w.placeId }, 'payment')),
        'forbidden',
      ],
      ['admin, no placeId', await admin.api('POST', '/api/v1/transfers', refund(p.euro.id, 100)), 'forbidden'],
    ];
    for (const role of ['cashier', 'door', 'editor'] as const)
      refused.push([
        role,
        await (await member(role)).api('POST', '/api/v1/transfers', refund(p.euro.id, 100, { placeId: w.placeId })),
        'forbidden',
      ]);
    // A scanner cannot even open a till with an admin's staff card: it never holds a session.
    refused.push([
      'scanner opening a till',
      await signedRequest(t.app, scanner, 'POST', '/api/v1/till/open', { cardUid: adminCard }),
      'ledger-device-kind',
    ]);
    for (const [who, r, code] of refused) {
      assert.equal(r.statusCode, 403, `${who}: ${r.body}`);
      assert.match(JSON.parse(r.body).type, new RegExp(`/${code}$`), `${who}: ${r.body}`);
    }
    assert.deepEqual(await written(), before);
    assert.equal(await balanceOf(p.euro.id), 0);
  });

  test('an admin (session, till with an admin’s session, or a refund key) refunds within the limits; each refund is audited', async () => {
    const p = await w.ledger.person('refund-ok');
    const before = await written();
    const ok = [
      await admin.api('POST', '/api/v1/transfers', refund(p.euro.id, 1000, { placeId: w.placeId })),
      await byDevice(w.device, refund(p.euro.id, 2000, { session: adminSession })),
      await withKey(t.app, refundKey, 'POST', '/api/v1/transfers', refund(p.euro.id, 3000, {}, 'payout')),
    ];
    for (const r of ok) assert.equal(r.statusCode, 201, r.body);
    assert.equal(await balanceOf(p.euro.id), 6000);
    const after = await written();
    assert.equal(Number(after!.t) - Number(before!.t), 3);
    assert.equal(Number(after!.r) - Number(before!.r), 3);
    assert.equal(Number(after!.a) - Number(before!.a), 3);
    const audited = await t.db
      .selectFrom('audit_log')
      .select(['actor_person_id', 'actor_api_key_id', 'data'])
      .where('action', '=', 'ledger.refund')
      .where('place_id', '=', w.placeId)
      .orderBy('at', 'desc')
      .limit(3)
      .execute();
    assert.ok(audited.some((a) => a.actor_api_key_id !== null));
    assert.ok(
      audited.some(
        (a) => a.actor_person_id === w.ledger.adminA.personId && (a.data as { device?: string }).device === w.device.id,
      ),
      'a till refund names the session’s person and the device',
    );
  });

  test('the per-operation and per-24-hours limits refuse the rest (422, nothing written); the venue’s own limits apply once set', async () => {
    const p = await w.ledger.person('limits');
    const { perOperation, perDay } = DEFAULT_REFUND_LIMITS;
    const over = await admin.api(
      'POST',
      '/api/v1/transfers',
      refund(p.euro.id, perOperation + 1, { placeId: w.placeId }),
    );
    assert.equal(over.statusCode, 422, over.body);
    assert.match(over.json().type, /ledger-refund-limit-operation$/);
    assert.match(over.json().detail, new RegExp(String(perOperation)));
    // What the earlier tests refunded today counts too: fill the day up to its limit, then one cent more.
    const used = Number(
      (
        await sql<{
          n: string;
        }>`select coalesce(sum(amount), 0) as n from ledger_refunds where place_id = ${w.placeId}`.execute(t.db)
      ).rows[0]!.n,
    );
    let left = perDay - used;
    while (left > 0) {
      const amount = Math.min(left, perOperation);
      const r = await admin.api('POST', '/api/v1/transfers', refund(p.euro.id, amount, { placeId: w.placeId }));
      assert.equal(r.statusCode, 201, r.body);
      left -= amount;
    }
    const before = await written();
    const full = await byDevice(w.device, refund(p.euro.id, 1, { session: adminSession }));
    assert.equal(full.statusCode, 422, full.body);
    assert.match(full.json().type, /ledger-refund-limit-day$/);
    assert.match(full.json().detail, /\b0\b/);
    assert.deepEqual(await written(), before);
    // The venue raises its limits: the next refund goes through.
    const put = await admin.api('PUT', `/api/v1/venues/${w.ledger.venueA.slug}/ledger/refund-limits`, {
      perOperation: 50_000,
      perDay: perDay + 60_000,
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(
      (await admin.api('POST', '/api/v1/transfers', refund(p.euro.id, 40_000, { placeId: w.placeId }))).statusCode,
      201,
    );
  });

  test('the limits: read and set by the venue’s admins (API and page), not by a cashier or a till key; bad values refused', async () => {
    const slug = w.ledger.venueA.slug;
    const url = `/api/v1/venues/${slug}/ledger/refund-limits`;
    const read = await admin.api('GET', url);
    assert.equal(read.statusCode, 200, read.body);
    const cashier = await member('cashier');
    assert.equal((await cashier.api('PUT', url, { perOperation: 1, perDay: 1 })).statusCode, 403);
    assert.equal((await withKey(t.app, tillKey, 'PUT', url, { perOperation: 1, perDay: 1 })).statusCode, 403);
    for (const bad of [
      { perOperation: -1, perDay: 10 },
      { perOperation: 10, perDay: 5 },
      { perOperation: 1.5, perDay: 10 },
      { perOperation: 1, perDay: 1_000_000_001 },
    ]) {
      const r = await admin.api('PUT', url, bad);
      assert.equal(r.statusCode, 422, `${JSON.stringify(bad)}: ${r.body}`);
    }
    assert.deepEqual((await admin.api('GET', url)).json(), read.json());
    const page = await admin.get(`/venues/${slug}/admin/refunds`);
    assert.equal(page.statusCode, 200);
    const saved = await admin.postForm(`/venues/${slug}/admin/refunds`, { perOperation: '150,00', perDay: '600' });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.deepEqual((await admin.api('GET', url)).json(), { perOperation: 15_000, perDay: 60_000, isDefault: false });
    const wrong = await admin.postForm(`/venues/${slug}/admin/refunds`, { perOperation: '700', perDay: '600' });
    assert.equal(wrong.statusCode, 422);
    assert.match(wrong.body, /aria-invalid="true"/);
    assert.equal((await cashier.get(`/venues/${slug}/admin/refunds`)).statusCode, 403);
  });

  test('a session works only on the till that opened it, even once this process has verified it', async () => {
    const p = await w.ledger.person('session');
    await w.ledger.fund(p.euro.id, 1000);
    const payment = async () => ({
      transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 100, kind: 'payment' }],
      holder: (await issueWalletPass(t.db, p.actor, { placeId: w.placeId, maxAmount: 100 })).pass,
      session: cashierSession,
    });
    const ok = await byDevice(w.device, await payment());
    assert.equal(ok.statusCode, 201, ok.body);
    const other = await w.pairDevice();
    const before = await written();
    const stolen = await byDevice(other, await payment());
    assert.equal(stolen.statusCode, 403, stolen.body);
    assert.match(stolen.json().type, /ledger-staff-session$/);
    assert.deepEqual(await written(), before);
  });

  test('blocking the staff card that opened a till session ends it for the ledger too: 403, nothing written', async () => {
    const staff = await w.newCard({ personId: w.ledger.adminA.personId });
    const r = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: staff.uid });
    assert.equal(r.statusCode, 201, r.body);
    const session = r.json().session as string;
    const p = await w.ledger.person('blocked-staff');
    await w.ledger.fund(p.euro.id, 1000);
    const payment = async () => ({
      transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 100, kind: 'payment' }],
      holder: (await issueWalletPass(t.db, p.actor, { placeId: w.placeId, maxAmount: 100 })).pass,
      session,
    });
    const ok = await byDevice(w.device, await payment());
    assert.equal(ok.statusCode, 201, ok.body);
    // The card is lost: its holder blocks it. The session it opened moves no more money.
    await blockCardByHolder(t.db, w.ledger.adminA, { cardId: staff.id });
    const before = await written();
    const refused = await byDevice(w.device, await payment());
    assert.equal(refused.statusCode, 403, refused.body);
    assert.match(refused.json().type, /ledger-staff-session$/);
    assert.deepEqual(await written(), before);
  });

  test('verify checks the refund log against the transfers: a row that names another transfer is found', async () => {
    assert.equal((await verifyLedger(t.db)).problem, null);
    const p = await w.ledger.person('forged');
    await w.ledger.fund(p.euro.id, 10);
    const topUp = await t.db
      .selectFrom('ledger_transfers')
      .select('id')
      .where('credit_account_id', '=', p.euro.id)
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('ledger_refunds')
      .values({ transfer_id: topUp.id, place_id: w.placeId, currency_id: w.euro.id, amount: 10 })
      .execute();
    const found = await verifyLedger(t.db);
    assert.equal(found.problem?.check, 'refund-log', JSON.stringify(found.problem));
    await t.db.deleteFrom('ledger_refunds').where('transfer_id', '=', topUp.id).execute();
  });

  test(
    'on PostgreSQL: 12 concurrent refunds of one venue never pass its day limit',
    { skip: !onPostgres && 'needs PostgreSQL (real concurrency)' },
    async () => {
      const world = await createTillWorld(t.db);
      const account = await world.ledger.placeAccount(world.placeId, world.euro);
      await world.ledger.fund(account.id, 1_000_000);
      const p = await world.ledger.person('race');
      const key = (
        await createApiKey(t.db, SYSTEM, {
          slug: world.ledger.venueA.slug,
          name: 'r',
          scopes: ['refund', 'place:write'],
        })
      ).secret;
      await withKey(t.app, key, 'PUT', `/api/v1/venues/${world.ledger.venueA.slug}/ledger/refund-limits`, {
        perOperation: 1000,
        perDay: 5000,
      });
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          withKey(t.app, key, 'POST', '/api/v1/transfers', {
            transfers: [
              { id: uuidv7(), debitAccountId: account.id, creditAccountId: p.euro.id, amount: 1000, kind: 'refund' },
            ],
          }),
        ),
      );
      assert.equal(results.filter((r) => r.statusCode === 201).length, 5);
      assert.ok(results.every((r) => r.statusCode === 201 || /ledger-refund-limit-day$/.test(r.json().type)));
      assert.equal(await balanceOf(p.euro.id), 5000);
    },
  );
});
