/**
 * A settlement world for the tests of this module (not loaded by the node): the till world's
 * federation of two venues — A with a paired till, a cashier and a bar, B without a till — its euro
 * token, a treasurer, and helpers that move money the way the node does: bar sales, cash top-ups and
 * cash-outs through the real till API (device-signed), payments to B from a person's wallet.
 */
import assert from 'node:assert/strict';
import type { TestNode } from '../../test/harness.ts';
import { SYSTEM, personActor, type PersonActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createTransfers } from '../ledger/createTransfers.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import type { Currency } from '../ledger/ledger.ts';
import { mintAgainstPayment } from '../ledger/mintAgainstPayment.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTillWorld, signedRequest, type TestCard, type TillWorld } from '../till/testFixtures.ts';
import { addTreasurer } from './addTreasurer.ts';
import { countRows } from '../../test/testDatabase.ts';

export interface Venue {
  id: string;
  slug: string;
}

export interface SettlementWorld {
  till: TillWorld;
  euro: Currency;
  federation: { id: string; slug: string };
  venueA: Venue;
  venueB: Venue;
  treasurer: { actor: PersonActor; email: string };
  /** An admin of venue A only, and an admin of venue B only. */
  adminA: { actor: PersonActor; email: string };
  adminB: { actor: PersonActor; email: string };
  /** A new card holding `amount` of the federation's euro (minted by the node, not at a venue). */
  card(amount: number): Promise<TestCard>;
  /** `beers` beers (350 each) sold at A's bar, paid by the card: the sale id and its amount. */
  barSale(card: TestCard, beers?: number): Promise<{ saleId: string; amount: number }>;
  /** A top-up of the card paid in cash at A's counter. */
  cashTopUp(card: TestCard, amount: number): Promise<string>;
  /** Euros paid out in cash at A's counter, from the card's tokens. */
  cashOut(card: TestCard, amount: number): Promise<string>;
  /** "Cancel the last sale" at A's till. */
  reverse(saleId: string): Promise<void>;
  /** A person pays venue B from their wallet (a ticket order): the transfer id. */
  payB(amount: number, metadata?: Record<string, unknown>): Promise<string>;
  /** Venue A gives tokens back to a person (a refund from the venue's account). */
  refundFromA(amount: number): Promise<string>;
  /** Rows of every table settlement writes, to check that a refusal wrote nothing. */
  counts(): Promise<Record<string, number>>;
  balanceOf(ownerKind: 'place' | 'system', ownerRef: string): Promise<number>;
}

let counter = 0;

export async function createSettlementWorld(t: TestNode): Promise<SettlementWorld> {
  const db = t.db;
  const till = await createTillWorld(db);
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const federation = await db
    .selectFrom('ledger_federation_places as fp')
    .innerJoin('ledger_federations as f', 'f.id', 'fp.federation_id')
    .select(['f.id', 'f.slug'])
    .where('fp.place_id', '=', till.placeId)
    .executeTakeFirstOrThrow();
  const person = async (role: string) => {
    const email = `${role}-${n}@example.org`;
    const p = await ensurePerson(db, email, 'fr');
    return { actor: personActor(p.id), email };
  };
  const treasurer = await person('treasurer');
  await addTreasurer(db, SYSTEM, { federation: federation.slug, email: treasurer.email });
  const adminA = await person('admin-a');
  const adminB = await person('admin-b');
  await db
    .insertInto('place_members')
    .values([
      { place_id: till.ledger.venueA.id, person_id: adminA.actor.personId, role: 'admin' },
      { place_id: till.ledger.venueB.id, person_id: adminB.actor.personId, role: 'admin' },
    ])
    .execute();

  const opened = await signedRequest(t.app, till.device, 'POST', '/api/v1/till/open', {
    cardUid: till.cashier.card.uid,
  });
  assert.equal(opened.statusCode, 201, opened.body);
  const session = opened.json().session as string;
  const sell = async (body: Record<string, unknown>) => {
    const r = await signedRequest(t.app, till.device, 'POST', '/api/v1/till/sales', {
      id: uuidv7(),
      session,
      pointId: till.pointId,
      ...body,
    });
    assert.equal(r.statusCode, 201, r.body);
    return r.json().sale.id as string;
  };
  const payer = await till.ledger.person('payer');
  await till.ledger.fund(payer.euro.id, 1_000_000);
  const placeB = await ensureAccount(db, {
    currencyId: till.euro.id,
    ownerKind: 'place',
    ownerRef: till.ledger.venueB.id,
  });
  const placeA = await ensureAccount(db, { currencyId: till.euro.id, ownerKind: 'place', ownerRef: till.placeId });

  return {
    till,
    euro: till.euro,
    federation,
    venueA: till.ledger.venueA,
    venueB: till.ledger.venueB,
    treasurer,
    adminA,
    adminB,
    async card(amount) {
      const card = await till.newCard();
      if (amount > 0) await till.fund(card, till.euro, amount);
      return card;
    },
    async barSale(card, beers = 1) {
      const amount = 350 * beers;
      const saleId = await sell({
        cardUid: card.uid,
        items: [{ articleId: till.articles.sale, quantity: beers }],
        payments: [{ method: 'card', amountCents: amount, cardUid: card.uid }],
      });
      return { saleId, amount };
    },
    cashTopUp: (card, amount) =>
      sell({
        cardUid: card.uid,
        items: [{ articleId: till.articles.top_up, quantity: 1, amountCents: amount }],
        payments: [{ method: 'cash', amountCents: amount, tenderedCents: amount }],
      }),
    cashOut: (card, amount) =>
      sell({
        cardUid: card.uid,
        items: [{ articleId: till.articles.cash_out, quantity: 1, amountCents: amount }],
        payments: [],
        cashBackCents: amount,
      }),
    async reverse(saleId) {
      const r = await signedRequest(t.app, till.device, 'POST', `/api/v1/till/sales/${saleId}/reverse`, {
        id: uuidv7(),
        session,
      });
      assert.equal(r.statusCode, 201, r.body);
    },
    async payB(amount, metadata = { order: uuidv7() }) {
      const id = uuidv7();
      await createTransfers(db, payer.actor, {
        transfers: [
          { id, debitAccountId: payer.euro.id, creditAccountId: placeB.id, amount, kind: 'payment', metadata },
        ],
      });
      return id;
    },
    async refundFromA(amount) {
      const id = uuidv7();
      await createTransfers(db, SYSTEM, {
        placeId: till.placeId,
        transfers: [{ id, debitAccountId: placeA.id, creditAccountId: payer.euro.id, amount, kind: 'refund' }],
      });
      return id;
    },
    async counts() {
      const tables = [
        'ledger_transfers',
        'ledger_settled_items',
        'ledger_settlement_euros',
        'settlement_runs',
        'settlement_statements',
        'settlement_payouts',
        'settlement_treasurers',
        'settlement_settings',
      ] as const;
      const out: Record<string, number> = {};
      for (const table of tables) out[table] = await countRows(db, table);
      return out;
    },
    async balanceOf(ownerKind, ownerRef) {
      const row = await db
        .selectFrom('ledger_accounts')
        .select('balance')
        .where('currency_id', '=', till.euro.id)
        .where('owner_kind', '=', ownerKind)
        .where('owner_ref', '=', ownerRef)
        .executeTakeFirst();
      return row ? Number(row.balance) : 0;
    },
  };
}

/** Mints `amount` of the federation's euro onto a new person's wallet, against a cash payment at `placeId`. */
export async function mintAtVenue(t: TestNode, euro: Currency, placeId: string, amount: number): Promise<string> {
  const p = await ensurePerson(t.db, `walk-in-${uuidv7()}@example.org`, 'fr');
  const account = await ensureAccount(t.db, { currencyId: euro.id, ownerKind: 'person', ownerRef: p.id });
  const id = uuidv7();
  await mintAgainstPayment(t.db, SYSTEM, {
    id,
    currencyCode: euro.code,
    accountId: account.id,
    amount,
    placeId,
    payment: { provider: 'cash', reference: `counter-${id}` },
  });
  return id;
}
