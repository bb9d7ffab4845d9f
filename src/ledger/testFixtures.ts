/**
 * A small ledger world for the tests of this module (not loaded by the node): a federation of two
 * venues with its euro token, a gift currency of the first venue that only it accepts, people with
 * funded wallets, a till device of the second venue with a cashier's session open on it. Each call makes new venues and codes, so tests can share a database.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Db } from '../db/database.ts';
import { useTestDatabase, type TestDatabase } from '../../test/testDatabase.ts';
import { SYSTEM, personActor, type PersonActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createCurrency } from './createCurrency.ts';
import { createFederation } from './createFederation.ts';
import { ensureAccount } from './ensureAccount.ts';
import type { Account, Currency } from './ledger.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { registerDevice } from './registerDevice.ts';
import { issueTillSession, tillSessionKey } from '../till/tillSession.ts';
import { makeStaffCard } from '../cards/testFixtures.ts';

let counter = 0;

export interface LedgerWorld {
  euro: Currency;
  gift: Currency;
  venueA: { id: string; slug: string };
  venueB: { id: string; slug: string };
  adminA: PersonActor;
  /** A till of venue B, and a staff session open on it (a cashier of venue B). */
  device: { placeId: string; id: string; privateKey: KeyObject };
  session: string;
  person(name?: string): Promise<{ actor: PersonActor; email: string; euro: Account; gift: Account }>;
  placeAccount(placeId: string, currency: Currency): Promise<Account>;
  /** Mints `amount` euro cents (against a fresh cash reference) onto an account. */
  fund(accountId: string, amount: number, currency?: Currency): Promise<void>;
}

export async function createLedgerWorld(db: Db): Promise<LedgerWorld> {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const admin = await ensurePerson(db, `admin-${n}@example.org`, 'fr');
  const venueA = await createPlace(db, SYSTEM, { slug: `va-${n}`, name: `Venue A ${n}` }, admin.id);
  const venueB = await createPlace(db, SYSTEM, { slug: `vb-${n}`, name: `Venue B ${n}` }, admin.id);
  const federation = await createFederation(db, SYSTEM, {
    slug: `fed-${n}`,
    name: `Federation ${n}`,
    placeIds: [venueA.id, venueB.id],
  });
  const code = n
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(-9);
  const euro = await createCurrency(db, SYSTEM, {
    code: `E${code}`,
    name: 'Euro token',
    kind: 'federated_euro',
    decimals: 2,
    federationId: federation.id,
  });
  const gift = await createCurrency(db, SYSTEM, {
    code: `G${code}`,
    name: 'Gift credit',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: venueA.id,
  });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const device = await registerDevice(db, SYSTEM, {
    placeId: venueB.id,
    name: 'Till 1',
    kind: 'till',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  const cashier = await ensurePerson(db, `cashier-${n}@example.org`, 'fr');
  await db
    .insertInto('place_members')
    .values({ place_id: venueB.id, person_id: cashier.id, role: 'cashier' })
    .execute();
  const { token: session } = issueTillSession(await tillSessionKey(db), {
    placeId: venueB.id,
    deviceId: device.id,
    cashierPersonId: cashier.id,
    cardId: (await makeStaffCard(db, cashier.id)).id,
  });
  let people = 0;
  const fund = async (accountId: string, amount: number, currency: Currency = euro) => {
    await mintAgainstPayment(db, SYSTEM, {
      id: uuidv7(),
      currencyCode: currency.code,
      accountId,
      amount,
      ...(currency.euroBacked ? { payment: { provider: 'cash' as const, reference: `cash-${uuidv7()}` } } : {}),
    });
  };
  return {
    euro,
    gift,
    venueA: { id: venueA.id, slug: venueA.slug },
    venueB: { id: venueB.id, slug: venueB.slug },
    adminA: personActor(admin.id),
    device: { placeId: venueB.id, id: device.id, privateKey },
    session,
    async person(name = `p${people++}`) {
      const email = `${name}-${n}@example.org`;
      const p = await ensurePerson(db, email, 'fr');
      return {
        actor: personActor(p.id),
        email,
        euro: await ensureAccount(db, { currencyId: euro.id, ownerKind: 'person', ownerRef: p.id }),
        gift: await ensureAccount(db, { currencyId: gift.id, ownerKind: 'person', ownerRef: p.id }),
      };
    },
    placeAccount: (placeId, currency) =>
      ensureAccount(db, { currencyId: currency.id, ownerKind: 'place', ownerRef: placeId }),
    fund,
  };
}

/**
 * The usual start of a ledger test file: a test database and a ledger world opened before the file's
 * tests, closed after. `ready` receives them once open (assign them to the file's variables).
 */
export function useLedgerWorld(ready: (opened: { tdb: TestDatabase; db: Db; w: LedgerWorld }) => void): void {
  useTestDatabase(async (opened) => ready({ ...opened, w: await createLedgerWorld(opened.db) }));
}

/** A real pino logger writing its JSON lines into an array. */
export function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}
