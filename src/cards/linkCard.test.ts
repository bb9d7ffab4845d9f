import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { isCode, onPostgres } from '../../test/testDatabase.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sha256Hex } from '../ledger/chain.ts';
import { appendTransfers } from '../ledger/engine.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import { useLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { blockCardByHolder } from './blockCard.ts';
import { lockCard, spendingAccountsOf, staffOf } from './cards.ts';
import { linkCard, mergeTransferId } from './linkCard.ts';
import { makeCards } from './testFixtures.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

const balance = async (id: string) =>
  (await db.selectFrom('ledger_accounts').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance;
const cardAccount = (cardId: string, currencyId = w.euro.id) =>
  ensureAccount(db, { currencyId, ownerKind: 'card', ownerRef: cardId });
const merges = async (cardId: string) => {
  const accounts = (
    await db
      .selectFrom('ledger_accounts')
      .select('id')
      .where('owner_kind', '=', 'card')
      .where('owner_ref', '=', cardId)
      .execute()
  ).map((a) => a.id);
  if (accounts.length === 0) return [];
  return db
    .selectFrom('ledger_transfers')
    .select(['id', 'amount', 'kind', 'authorised_by', 'authoriser_id', 'batch_id'])
    .where('kind', '=', 'merge')
    .where('debit_account_id', 'in', accounts)
    .execute();
};
const transferCount = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(db)).rows[0]!.n);

/**
 * A till payment as the till module makes it: lock the card first, then spend from whichever owner
 * the card spends from now (its own accounts, or its holder's wallet once linked).
 */
async function tillPayment(cardId: string, amount: number, venueAccountId: string) {
  return inTransaction(db, async (trx) => {
    const card = await lockCard(trx, cardId);
    if (card.status !== 'active') throw new DomainError('card-blocked', 403);
    const owner = await spendingAccountsOf(trx, card);
    const account = await ensureAccount(trx, { currencyId: w.euro.id, ...owner });
    const id = uuidv7();
    const { transfers } = await appendTransfers(trx, {
      specs: [
        { id, phase: 'single', kind: 'payment', debitAccountId: account.id, creditAccountId: venueAccountId, amount },
      ],
      requestSha256: sha256Hex(`test-payment:${id}`),
      batchId: null,
      authorisation: { by: 'device', authoriserId: w.device.id, placeId: w.device.placeId, deviceSignature: null },
    });
    return { owner, transfer: transfers[0]! };
  });
}

describe('linkCard', () => {
  test('links an anonymous card and moves every balance exactly into the wallet, one linked merge per currency', async () => {
    const [card] = await makeCards(db, 1);
    const p = await w.person();
    await w.fund(p.euro.id, 500);
    const euroOnCard = await cardAccount(card!.id);
    const giftOnCard = await cardAccount(card!.id, w.gift.id);
    await w.fund(euroOnCard.id, 1234);
    await w.fund(giftOnCard.id, 700, w.gift);
    await cardAccount(card!.id, (await w.person()).gift.currencyId); // an empty account moves nothing

    const result = await linkCard(db, p.actor, { cardId: card!.id });
    assert.equal(result.linked, true);
    assert.equal(result.card.personId, p.actor.personId);
    assert.deepEqual(
      result.merged.map((m) => m.amount).sort((a, b) => a - b),
      [700, 1234],
    );
    assert.equal(await balance(euroOnCard.id), 0);
    assert.equal(await balance(giftOnCard.id), 0);
    assert.equal(await balance(p.euro.id), 1734);
    assert.equal(await balance(p.gift.id), 700);
    const rows = await merges(card!.id);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.authorised_by === 'person' && r.authoriser_id === p.actor.personId));
    assert.equal(new Set(rows.map((r) => r.batch_id)).size, 1, 'the merges are one linked batch');
    assert.ok(rows[0]!.batch_id);
    assert.deepEqual(
      new Set(rows.map((r) => r.id)),
      new Set([mergeTransferId(card!.id, w.euro.id, 1234), mergeTransferId(card!.id, w.gift.id, 700)]),
    );
    const stored = await db
      .selectFrom('cards')
      .select(['person_id', 'linked_at'])
      .where('id', '=', card!.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.person_id, p.actor.personId);
    assert.ok(stored.linked_at);
    assert.equal(
      (
        await db
          .selectFrom('audit_log')
          .select('id')
          .where('action', '=', 'card.linked')
          .where('subject_id', '=', card!.id)
          .execute()
      ).length,
      1,
    );
    assert.ok((await verifyLedger(db)).ok);

    // After the link, the card spends from the wallet.
    const locked = await inTransaction(db, (trx) => lockCard(trx, card!.id));
    assert.deepEqual(await inTransaction(db, (trx) => spendingAccountsOf(trx, locked)), {
      ownerKind: 'person',
      ownerRef: p.actor.personId,
    });
  });

  test('a second link by the same person does nothing; by someone else is a 409; nothing is written', async () => {
    const [card] = await makeCards(db, 1);
    const p = await w.person();
    const other = await w.person();
    await w.fund((await cardAccount(card!.id)).id, 300);
    await linkCard(db, p.actor, { cardId: card!.id });
    const before = await transferCount();
    const again = await linkCard(db, p.actor, { cardId: card!.id });
    assert.equal(again.linked, false);
    assert.deepEqual(again.merged, []);
    await assert.rejects(linkCard(db, other.actor, { cardId: card!.id }), isCode('card-already-linked'));
    assert.equal(await transferCount(), before);
    assert.equal(await balance(p.euro.id), 300);
    assert.equal(await balance(other.euro.id), 0);
    const stored = await db
      .selectFrom('cards')
      .select('person_id')
      .where('id', '=', card!.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.person_id, p.actor.personId);
  });

  test('an empty card links without any transfer; a blocked card cannot be linked; unknown card 404; anonymous 401', async () => {
    const [empty, blocked] = await makeCards(db, 2);
    const p = await w.person();
    const before = await transferCount();
    const r = await linkCard(db, p.actor, { cardId: empty!.id });
    assert.equal(r.linked, true);
    assert.deepEqual(r.merged, []);
    assert.equal(await transferCount(), before);

    const q = await w.person();
    await db
      .updateTable('cards')
      .set({ status: 'blocked', blocked_at: new Date() })
      .where('id', '=', blocked!.id)
      .execute();
    await assert.rejects(linkCard(db, q.actor, { cardId: blocked!.id }), isCode('card-blocked'));
    assert.equal(
      (await db.selectFrom('cards').select('person_id').where('id', '=', blocked!.id).executeTakeFirstOrThrow())
        .person_id,
      null,
    );
    await assert.rejects(linkCard(db, q.actor, { cardId: uuidv7() }), isCode('not-found'));
    await assert.rejects(linkCard(db, null, { cardId: empty!.id }), isCode('unauthenticated'));
    await assert.rejects(linkCard(db, SYSTEM, { cardId: empty!.id }), isCode('unauthenticated'));
  });

  test('a person holds several cards; each merges into the same wallet', async () => {
    const cards = await makeCards(db, 3);
    const p = await w.person();
    for (const [i, c] of cards.entries()) await w.fund((await cardAccount(c.id)).id, 100 * (i + 1));
    for (const c of cards) await linkCard(db, p.actor, { cardId: c.id });
    assert.equal(await balance(p.euro.id), 600);
    assert.equal(
      (await db.selectFrom('cards').select('id').where('person_id', '=', p.actor.personId).execute()).length,
      3,
    );
  });

  test(
    '10 link attempts at once by the same person: one merge; by 10 people: one wins, 9 get 409',
    { skip: !onPostgres && 'needs PostgreSQL (real concurrency)' },
    async () => {
      const [card, card2] = await makeCards(db, 2);
      const p = await w.person();
      await w.fund((await cardAccount(card!.id)).id, 999);
      const results = await Promise.all(Array.from({ length: 10 }, () => linkCard(db, p.actor, { cardId: card!.id })));
      assert.equal(results.filter((r) => r.linked).length, 1);
      assert.equal((await merges(card!.id)).length, 1);
      assert.equal(await balance(p.euro.id), 999);

      await w.fund((await cardAccount(card2!.id)).id, 450);
      const people = await Promise.all(Array.from({ length: 10 }, () => w.person()));
      const settled = await Promise.allSettled(people.map((x) => linkCard(db, x.actor, { cardId: card2!.id })));
      const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1);
      for (const s of settled)
        if (s.status === 'rejected') assert.ok(isCode('card-already-linked')(s.reason), String(s.reason));
      assert.equal((await merges(card2!.id)).length, 1);
      assert.equal(await balance(people[won[0]!]!.euro.id), 450);
      assert.ok((await verifyLedger(db)).ok);
    },
  );

  test(
    'merge under concurrency with payments on the same card: nothing lost, nothing counted twice',
    { skip: !onPostgres && 'needs PostgreSQL (real concurrency)' },
    async () => {
      const venue = await w.placeAccount(w.venueB.id, w.euro);
      for (let round = 0; round < 3; round++) {
        const [card] = await makeCards(db, 1);
        const p = await w.person();
        const onCard = await cardAccount(card!.id);
        await w.fund(onCard.id, 10_000);
        await w.fund(p.euro.id, 500);
        const venueBefore = await balance(venue.id);
        // 40 payments of 300 (12 000) against 10 500 in all: some are refused, whatever the order.
        const payments = Array.from({ length: 40 }, (_, i) => i);
        const link = new Promise((r) => setTimeout(r, round * 5)).then(() =>
          linkCard(db, p.actor, { cardId: card!.id }),
        );
        const settled = await Promise.allSettled([...payments.map(() => tillPayment(card!.id, 300, venue.id)), link]);
        const linkResult = settled.at(-1)!;
        assert.equal(linkResult.status, 'fulfilled', String((linkResult as PromiseRejectedResult).reason));
        const paid = (settled.slice(0, -1) as PromiseSettledResult<Awaited<ReturnType<typeof tillPayment>>>[]).flatMap(
          (s) => (s.status === 'fulfilled' ? [s.value] : []),
        );
        for (const s of settled.slice(0, -1))
          if (s.status === 'rejected') assert.ok(isCode('ledger-insufficient-funds')(s.reason), String(s.reason));
        const fromCard = paid.filter((x) => x.owner.ownerKind === 'card');
        const fromWallet = paid.filter((x) => x.owner.ownerKind === 'person');
        const merged = (linkResult as PromiseFulfilledResult<Awaited<ReturnType<typeof linkCard>>>).value.merged;
        const mergedAmount = merged.reduce((s, m) => s + m.amount, 0);
        // The card's money went either to payments made before the link or into the wallet, never both.
        assert.equal(mergedAmount + fromCard.length * 300, 10_000);
        assert.equal(await balance(onCard.id), 0, 'nothing left behind on the card');
        assert.equal(await balance(p.euro.id), 500 + mergedAmount - fromWallet.length * 300);
        assert.equal((await balance(venue.id)) - venueBefore, paid.length * 300);
        // Conservation: card + wallet + what the venue received = what was funded.
        assert.equal(
          (await balance(onCard.id)) + (await balance(p.euro.id)) + (await balance(venue.id)) - venueBefore,
          10_500,
        );
        assert.ok(paid.length <= 35);
        assert.equal(merged.length, mergedAmount > 0 ? 1 : 0);
        assert.equal((await merges(card!.id)).length, merged.length);
      }
      assert.ok((await verifyLedger(db)).ok);
    },
  );
});

describe('staffOf and spendingAccountsOf', () => {
  test('a staff card is active, linked, and its holder is cashier or admin at that venue', async () => {
    const [cashierCard, adminCard, customerCard, anonymous, blockedCard] = await makeCards(db, 5);
    const cashier = await ensurePerson(db, `cashier-${uuidv7()}@example.org`, 'fr');
    await db
      .insertInto('place_members')
      .values({ place_id: w.venueA.id, person_id: cashier.id, role: 'cashier' })
      .execute();
    const door = await ensurePerson(db, `door-${uuidv7()}@example.org`, 'fr');
    await db.insertInto('place_members').values({ place_id: w.venueA.id, person_id: door.id, role: 'door' }).execute();
    await linkCard(db, personActor(cashier.id), { cardId: cashierCard!.id });
    await linkCard(db, w.adminA, { cardId: adminCard!.id });
    await linkCard(db, personActor(door.id), { cardId: customerCard!.id });
    await linkCard(db, personActor(cashier.id), { cardId: blockedCard!.id });
    await blockCardByHolder(db, personActor(cashier.id), { cardId: blockedCard!.id });
    const staff = (id: string, placeId = w.venueA.id) =>
      inTransaction(db, async (trx) => staffOf(trx, await lockCard(trx, id), placeId));
    assert.equal((await staff(cashierCard!.id))!.id, cashier.id);
    assert.equal((await staff(adminCard!.id))!.id, w.adminA.personId);
    assert.equal(await staff(customerCard!.id), null, 'door role does not open a till');
    assert.equal(await staff(anonymous!.id), null);
    assert.equal(await staff(blockedCard!.id), null, 'a blocked card opens nothing');
    assert.equal(await staff(cashierCard!.id, w.venueB.id), null, 'cashier elsewhere');
    const owner = await inTransaction(db, async (trx) => spendingAccountsOf(trx, await lockCard(trx, anonymous!.id)));
    assert.deepEqual(owner, { ownerKind: 'card', ownerRef: anonymous!.id });
  });
});
