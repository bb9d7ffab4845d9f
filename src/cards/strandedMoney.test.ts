import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, type TestNode } from '../../test/harness.ts';
import { inTransaction } from '../db/database.ts';
import { isCode } from '../../test/testDatabase.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sha256Hex } from '../ledger/chain.ts';
import { createTransfers } from '../ledger/createTransfers.ts';
import { appendTransfers } from '../ledger/engine.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { signedRequest, type TestCard, type TillWorld, useTillNode } from '../till/testFixtures.ts';
import { linkCard } from './linkCard.ts';

/**
 * Issue 12 #11: money reaching a card's own accounts after the card is linked is stranded (the card
 * spends from the holder's wallet, and the merge is done), and transfers to a card skipped the card
 * lock that linking relies on. docs/CARDS.md rule 7 and "Lock order".
 */
let t: TestNode;
let w: TillWorld;
let session: string;
useTillNode((opened) => ({ t, w, session } = opened));

const ownBalance = async (card: TestCard) =>
  Number(
    (
      await t.db
        .selectFrom('ledger_accounts')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('balance'), eb.lit(0)).as('n'))
        .where('owner_kind', '=', 'card')
        .where('owner_ref', '=', card.id)
        .executeTakeFirstOrThrow()
    ).n,
  );
const walletBalance = async (personId: string, currencyId = w.euro.id) =>
  Number(
    (
      await t.db
        .selectFrom('ledger_accounts')
        .select('balance')
        .where('owner_kind', '=', 'person')
        .where('owner_ref', '=', personId)
        .where('currency_id', '=', currencyId)
        .executeTakeFirst()
    )?.balance ?? 0,
  );
const transfers = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(t.db)).rows[0]!.n);
const sell = (body: object) =>
  signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', { id: uuidv7(), session, pointId: w.pointId, ...body });
const reverse = (saleId: string) =>
  signedRequest(t.app, w.device, 'POST', `/api/v1/till/sales/${saleId}/reverse`, { id: uuidv7(), session });

/** Credits a card's own account behind the rules (as a path that forgot them did): the engine alone. */
async function strand(cardId: string, amount: number) {
  const issuance = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'system', ownerRef: 'issuance' });
  const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: cardId });
  const id = uuidv7();
  await inTransaction(t.db, async (trx) => {
    await appendTransfers(trx, {
      specs: [
        { id, phase: 'single', kind: 'top_up', debitAccountId: issuance.id, creditAccountId: account.id, amount },
      ],
      requestSha256: sha256Hex(`strand:${id}`),
      batchId: null,
      authorisation: { by: 'node', authoriserId: '', placeId: null, deviceSignature: null },
    });
    await trx
      .insertInto('ledger_payment_references')
      .values({
        provider: 'cash',
        reference: `strand-${id}`,
        currency_id: w.euro.id,
        amount_cents: amount,
        transfer_id: id,
      })
      .execute();
  });
}

describe('money never strands on a linked card (issue 12 #11)', () => {
  test('a sale paid by an anonymous card, reversed after the card was linked: the refund goes to the holder’s wallet', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    const sale = await sell({
      cardUid: card.uid,
      items: [{ articleId: w.articles.sale, quantity: 1 }],
      payments: [{ method: 'card', amountCents: 350 }],
    });
    assert.equal(sale.statusCode, 201, sale.body);
    const holder = await w.ledger.person('linker');
    const linked = await linkCard(t.db, holder.actor, { cardId: card.id });
    assert.deepEqual(
      linked.merged.map((m) => m.amount),
      [650],
    );
    const reversed = await reverse(sale.json().sale.id);
    assert.equal(reversed.statusCode, 201, reversed.body);
    assert.equal(await ownBalance(card), 0, 'nothing stranded on the linked card');
    assert.equal(await walletBalance(holder.actor.personId), 1000);
    assert.deepEqual(
      reversed
        .json()
        .balances.filter((b: { currency: string }) => b.currency === w.euro.code)
        .map((b: { amount: number }) => b.amount),
      [1000],
    );
    assert.equal((await verifyLedger(t.db)).problem, null);
  });

  test('a top-up on an anonymous card, reversed after the link: burnt back from the holder’s wallet', async () => {
    const card = await w.newCard();
    const sale = await sell({
      cardUid: card.uid,
      items: [{ articleId: w.articles.top_up, quantity: 1, amountCents: 500 }],
      payments: [{ method: 'cash', amountCents: 500 }],
    });
    assert.equal(sale.statusCode, 201, sale.body);
    const holder = await w.ledger.person('topper');
    await linkCard(t.db, holder.actor, { cardId: card.id });
    assert.equal(await walletBalance(holder.actor.personId), 500);
    const reversed = await reverse(sale.json().sale.id);
    assert.equal(reversed.statusCode, 201, reversed.body);
    assert.equal(await walletBalance(holder.actor.personId), 0);
    assert.equal(await ownBalance(card), 0);
    assert.equal((await verifyLedger(t.db)).problem, null);
  });

  test('a transfer to a linked card’s own account is refused (409); to a blocked card 403; to an anonymous card it goes through', async () => {
    const payer = await w.ledger.person('payer');
    await w.ledger.fund(payer.euro.id, 1000);
    const linkedCard = await w.newCard();
    const holder = await w.ledger.person('holder');
    await linkCard(t.db, holder.actor, { cardId: linkedCard.id });
    const blocked = await w.newCard({ blocked: true });
    const anonymous = await w.newCard();
    const accountOf = async (card: TestCard) =>
      (await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card.id })).id;
    const send = async (card: TestCard) =>
      createTransfers(t.db, payer.actor, {
        transfers: [
          {
            id: uuidv7(),
            debitAccountId: payer.euro.id,
            creditAccountId: await accountOf(card),
            amount: 100,
            kind: 'transfer',
          },
        ],
      });
    const before = await transfers();
    await assert.rejects(send(linkedCard), isCode('ledger-card-linked'));
    await assert.rejects(send(blocked), isCode('card-blocked'));
    assert.equal(await transfers(), before);
    assert.equal(await ownBalance(linkedCard), 0);
    await send(anonymous);
    assert.equal(await ownBalance(anonymous), 100);
  });

  test('money that reached a linked card anyway is named by verify and swept into the wallet by linking again, every time', async () => {
    const card = await w.newCard();
    const holder = await w.ledger.person('sweeper');
    await linkCard(t.db, holder.actor, { cardId: card.id });
    await strand(card.id, 250);
    const found = await verifyLedger(t.db);
    assert.equal(found.problem?.check, 'card-linked-balance', JSON.stringify(found.problem));
    const swept = await linkCard(t.db, holder.actor, { cardId: card.id });
    assert.deepEqual(
      swept.merged.map((m) => m.amount),
      [250],
    );
    assert.equal(swept.linked, false);
    assert.equal(await ownBalance(card), 0);
    assert.equal(await walletBalance(holder.actor.personId), 250);
    // Nothing more to sweep: nothing written.
    const before = await transfers();
    assert.deepEqual((await linkCard(t.db, holder.actor, { cardId: card.id })).merged, []);
    assert.equal(await transfers(), before);
    // Money arriving later is swept too (a new merge id, not the first one replayed).
    await strand(card.id, 40);
    const again = await linkCard(t.db, holder.actor, { cardId: card.id });
    assert.deepEqual(
      again.merged.map((m) => m.amount),
      [40],
    );
    assert.notEqual(again.merged[0]!.transferId, swept.merged[0]!.transferId);
    assert.equal(await walletBalance(holder.actor.personId), 290);
    assert.equal((await verifyLedger(t.db)).problem, null);
  });

  test(
    'on PostgreSQL: a transfer to a card racing its link queues on the card row: both succeed, nothing is left on the card',
    { skip: !onPostgres && 'needs PostgreSQL (real concurrency and pg_locks)' },
    async () => {
      const card = await w.newCard();
      await w.fund(card, w.euro, 300);
      const cardAccount = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: card.id });
      const payer = await w.ledger.person('racer');
      await w.ledger.fund(payer.euro.id, 1000);
      const holder = await w.ledger.person('racing-holder');
      const waiting = async () =>
        Number(
          (
            await sql<{
              n: string;
            }>`select count(*) as n from pg_locks l join pg_database d on d.oid = l.database or l.database is null
              where not l.granted and d.datname = current_database()`.execute(t.db)
          ).rows[0]!.n,
        );
      const until = async (n: number) => {
        for (let i = 0; i < 500 && (await waiting()) < n; i++) await new Promise((r) => setTimeout(r, 10));
      };
      // Someone else holds the card's account for a moment (any payment would): the transfer to the
      // card queues behind it first, then the link comes.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let held!: () => void;
      const holding = new Promise<void>((r) => (held = r));
      const blocker = t.db.transaction().execute(async (trx) => {
        await sql`select id from ledger_accounts where id = ${cardAccount.id} for update`.execute(trx);
        held();
        await released;
      });
      await holding;
      const transfer = createTransfers(t.db, payer.actor, {
        transfers: [
          {
            id: uuidv7(),
            debitAccountId: payer.euro.id,
            creditAccountId: cardAccount.id,
            amount: 100,
            kind: 'transfer',
          },
        ],
      });
      await until(1);
      const link = linkCard(t.db, holder.actor, { cardId: card.id });
      await until(2);
      release();
      await blocker;
      const [sent, linked] = await Promise.allSettled([transfer, link]);
      assert.equal(sent.status, 'fulfilled', String((sent as PromiseRejectedResult).reason));
      assert.equal(linked.status, 'fulfilled', String((linked as PromiseRejectedResult).reason));
      assert.equal(await ownBalance(card), 0, 'nothing left on the linked card');
      assert.equal(await walletBalance(holder.actor.personId), 400);
      assert.equal((await verifyLedger(t.db)).problem, null);
    },
  );
});
