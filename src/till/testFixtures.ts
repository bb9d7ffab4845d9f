/**
 * A small till world for the tests of this module (not loaded by the node): venue A of a federation
 * (federated euro), with its own local euro and gift credit, a gift credit of venue B that A does not
 * accept, a paired till at A, a cashier with a staff card, a point of sale with one article of each
 * kind, and helpers to make cards, fund them and send device-signed requests.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { useTestNode, type TestNode } from '../../test/harness.ts';
import type { App } from '../http/module.ts';
import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createCurrency } from '../ledger/createCurrency.ts';
import { signDeviceRequest } from '../ledger/deviceSignature.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import type { Currency } from '../ledger/ledger.ts';
import { mintAgainstPayment } from '../ledger/mintAgainstPayment.ts';
import { registerDevice } from '../ledger/registerDevice.ts';
import { createLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { ArticleKind } from './tables.ts';

export interface TillDevice {
  placeId: string;
  id: string;
  privateKey: KeyObject;
}

export interface TestCard {
  id: string;
  uid: string;
  number: string;
  personId: string | null;
  /** The token its QR code holds (in the card page's address, /cards/<token>). */
  token?: string;
}

export interface TillWorld {
  ledger: LedgerWorld;
  placeId: string;
  euro: Currency;
  local: Currency;
  gift: Currency;
  /** A gift credit of venue B: not accepted at A. */
  otherGift: Currency;
  device: TillDevice;
  cashier: { personId: string; card: TestCard };
  pointId: string;
  /** Articles of the point, by kind (sale: a beer at 350, VAT 20 %). */
  articles: Record<ArticleKind | 'localTopUp', string>;
  /** A point that takes only cash. */
  cashPointId: string;
  membershipProductId: string;
  newCard(options?: { personId?: string | null; blocked?: boolean }): Promise<TestCard>;
  /** Mints `amount` of a currency onto the wallet of a card (its holder's if linked). */
  fund(card: TestCard, currency: Currency, amount: number): Promise<void>;
  balance(card: TestCard, currency: Currency): Promise<number>;
  pairDevice(placeId?: string): Promise<TillDevice>;
}

let counter = 0;

export async function createTillWorld(db: Db): Promise<TillWorld> {
  const ledger = await createLedgerWorld(db);
  const placeId = ledger.venueA.id;
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`.toUpperCase().slice(-8);
  const local = await createCurrency(db, SYSTEM, {
    code: `L${n}`,
    name: 'Local euro',
    kind: 'local_euro',
    decimals: 2,
    issuerPlaceId: placeId,
  });
  const otherGift = await createCurrency(db, SYSTEM, {
    code: `O${n}`,
    name: 'Other gift',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: ledger.venueB.id,
  });

  const pairDevice = async (at = placeId): Promise<TillDevice> => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const d = await registerDevice(db, SYSTEM, {
      placeId: at,
      name: 'Till',
      kind: 'till',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    return { placeId: at, id: d.id, privateKey };
  };
  const device = await pairDevice();

  const batchId = uuidv7();
  await db
    .insertInto('card_batches')
    .values({ id: batchId, name: `Batch ${n}`, card_count: 0 })
    .execute();
  const newCard = async (options: { personId?: string | null; blocked?: boolean } = {}): Promise<TestCard> => {
    const id = uuidv7();
    const uid = createHash('sha256').update(id).digest('hex').slice(0, 14).toUpperCase();
    const number = `N${uid}`;
    const personId = options.personId ?? null;
    await db
      .insertInto('cards')
      .values({
        id,
        batch_id: batchId,
        uid,
        number,
        qr_token_sha256: createHash('sha256').update(`qr${id}`).digest('hex'), // the token is `qr${id}`
        person_id: personId,
        linked_at: personId ? new Date() : null,
        status: options.blocked ? 'blocked' : 'active',
        blocked_at: options.blocked ? new Date() : null,
      })
      .execute();
    return { id, uid, number, personId, token: `qr${id}` };
  };

  const cashierPerson = await ensurePerson(db, `cashier-${n.toLowerCase()}@example.org`, 'fr');
  await db
    .insertInto('place_members')
    .values({ place_id: placeId, person_id: cashierPerson.id, role: 'cashier' })
    .execute();
  const cashierCard = await newCard({ personId: cashierPerson.id });

  const productId = uuidv7();
  await db
    .insertInto('membership_products')
    .values({
      place_id: placeId,
      id: productId,
      name: 'Adhésion annuelle',
      validity_kind: 'days',
      validity_value: 365,
      price_kind: 'fixed',
      price_cents: 1500,
    })
    .execute();

  const pointId = uuidv7();
  const cashPointId = uuidv7();
  await db
    .insertInto('pos_points')
    .values([
      { place_id: placeId, id: pointId, name: 'Bar' },
      { place_id: placeId, id: cashPointId, name: 'Entrée', payment_methods: ['cash'] },
    ])
    .execute();
  const categoryId = uuidv7();
  await db.insertInto('pos_categories').values({ place_id: placeId, id: categoryId, name: 'Boissons' }).execute();
  const specs: [ArticleKind | 'localTopUp', ArticleKind, number | null, string | null][] = [
    ['sale', 'sale', 350, null],
    ['top_up', 'top_up', null, ledger.euro.id],
    ['localTopUp', 'top_up', null, local.id],
    ['gift_top_up', 'gift_top_up', null, ledger.gift.id],
    ['cash_out', 'cash_out', null, null],
    ['membership', 'membership', 1500, null],
    ['deposit', 'deposit', 100, null],
    ['deposit_return', 'deposit_return', 100, null],
    ['free', 'free', 0, null],
  ];
  const articles = {} as TillWorld['articles'];
  for (const [i, [key, kind, price, currencyId]] of specs.entries()) {
    const id = uuidv7();
    articles[key] = id;
    await db
      .insertInto('pos_articles')
      .values({
        place_id: placeId,
        id,
        category_id: key === 'sale' ? categoryId : null,
        name: `${key} ${n}`,
        kind,
        price_cents: price,
        vat_rate: key === 'sale' ? 2000 : 0,
        currency_id: currencyId,
        membership_product_id: kind === 'membership' ? productId : null,
        position: i,
      })
      .execute();
    await db
      .insertInto('pos_point_articles')
      .values([
        { place_id: placeId, point_id: pointId, article_id: id, position: i },
        { place_id: placeId, point_id: cashPointId, article_id: id, position: i },
      ])
      .execute();
  }

  const ownerOf = (card: TestCard) =>
    card.personId
      ? { ownerKind: 'person' as const, ownerRef: card.personId }
      : { ownerKind: 'card' as const, ownerRef: card.id };
  return {
    ledger,
    placeId,
    euro: ledger.euro,
    local,
    gift: ledger.gift,
    otherGift,
    device,
    cashier: { personId: cashierPerson.id, card: cashierCard },
    pointId,
    cashPointId,
    articles,
    membershipProductId: productId,
    newCard,
    pairDevice,
    async fund(card, currency, amount) {
      const account = await ensureAccount(db, { currencyId: currency.id, ...ownerOf(card) });
      await mintAgainstPayment(db, SYSTEM, {
        id: uuidv7(),
        currencyCode: currency.code,
        accountId: account.id,
        amount,
        ...(currency.euroBacked ? { payment: { provider: 'cash' as const, reference: `fund-${uuidv7()}` } } : {}),
      });
    },
    async balance(card, currency) {
      const o = ownerOf(card);
      const row = await db
        .selectFrom('ledger_accounts')
        .select('balance')
        .where('currency_id', '=', currency.id)
        .where('owner_kind', '=', o.ownerKind)
        .where('owner_ref', '=', o.ownerRef)
        .executeTakeFirst();
      return row ? Number(row.balance) : 0;
    },
  };
}

/** Sends a device-signed JSON request to the app (the body's exact bytes are signed). */
export async function signedRequest(
  app: App,
  device: TillDevice,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  options: {
    nonce?: string;
    timestamp?: number;
    language?: string;
    tamper?: (payload: string) => string;
    headers?: Record<string, string>;
    /** The address actually requested, when it is not the one signed (`path`): a tampered query string. */
    url?: string;
    /** 1: as a till from before version 2 signs (no query string covered). */
    version?: 1 | 2;
  } = {},
) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers =
    options.headers ??
    signDeviceRequest(device.privateKey, {
      placeId: device.placeId,
      deviceId: device.id,
      method,
      path,
      body: payload,
      ...(options.nonce ? { nonce: options.nonce } : {}),
      ...(options.timestamp ? { timestamp: options.timestamp } : {}),
      ...(options.version ? { version: options.version } : {}),
    });
  const sent = options.tamper ? options.tamper(payload) : payload;
  return app.inject({
    method,
    url: options.url ?? path,
    headers: {
      ...headers,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'accept-language': options.language ?? 'en',
    },
    ...(body === undefined ? {} : { payload: sent }),
  });
}

/** Opens a session on the world's till with a staff card (the cashier's by default); returns its token. */
export async function openTillSession(app: App, w: TillWorld, cardUid = w.cashier.card.uid): Promise<string> {
  const opened = await signedRequest(app, w.device, 'POST', '/api/v1/till/open', { cardUid });
  assert.equal(opened.statusCode, 201, opened.body);
  return opened.json().session as string;
}

/**
 * The usual start of a till test file: a node, a till world on it and the cashier's session open on its
 * till, before the file's tests; the node is closed after. `ready` receives them (assign them to the
 * file's variables and build the rest of the file's world there).
 */
export function useTillNode(ready: (opened: { t: TestNode; w: TillWorld; session: string }) => unknown): void {
  useTestNode(async (t) => {
    const w = await createTillWorld(t.db);
    await ready({ t, w, session: await openTillSession(t.app, w) });
  });
}
