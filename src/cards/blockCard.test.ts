import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { createLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { isCode } from '../../test/testDatabase.ts';
import { DomainError } from '../shared/errors.ts';
import { blockCardAtVenue, blockCardByHolder, unblockCard } from './blockCard.ts';
import { findCardById } from './cards.ts';
import { linkCard } from './linkCard.ts';
import { makeCards } from './testFixtures.ts';

let t: TestNode;
let w: LedgerWorld;
let n = 0;
useTestNode(async (node) => {
  t = node;
  w = await createLedgerWorld(t.db);
});

const status = async (id: string) => (await findCardById(t.db, id))!.status;
const audits = async (id: string, action: string) =>
  await t.db
    .selectFrom('audit_log')
    .select(['place_id', 'actor_person_id'])
    .where('subject_id', '=', id)
    .where('action', '=', action)
    .execute();

async function linkedCard() {
  const [card] = await makeCards(t.db, 1);
  const holder = await ensurePerson(t.db, `holder${n++}-${Date.now()}@example.org`, 'en');
  await t.db.updateTable('people').set({ name: 'Zoé Holder' }).where('id', '=', holder.id).execute();
  await linkCard(t.db, personActor(holder.id), { cardId: card!.id });
  return { card: card!, holder };
}

async function cashierAt(placeId: string) {
  const p = await ensurePerson(t.db, `cashier${n++}-${Date.now()}@example.org`, 'en');
  await t.db.insertInto('place_members').values({ place_id: placeId, person_id: p.id, role: 'cashier' }).execute();
  return p;
}

describe('blocking a lost card', () => {
  test('the holder blocks it at once; again is a no-op; someone else cannot (404), nor can they block it', async () => {
    const { card, holder } = await linkedCard();
    const stranger = await ensurePerson(t.db, `stranger${n++}@example.org`, 'en');
    await assert.rejects(blockCardByHolder(t.db, personActor(stranger.id), { cardId: card.id }), isCode('not-found'));
    await assert.rejects(blockCardByHolder(t.db, null, { cardId: card.id }), isCode('unauthenticated'));
    assert.equal(await status(card.id), 'active');
    const r = await blockCardByHolder(t.db, personActor(holder.id), { cardId: card.id });
    assert.equal(r.changed, true);
    assert.equal(await status(card.id), 'blocked');
    const row = await t.db
      .selectFrom('cards')
      .select(['blocked_at', 'blocked_by', 'block_reason'])
      .where('id', '=', card.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.blocked_at);
    assert.equal(row.blocked_by, holder.id);
    assert.equal((await blockCardByHolder(t.db, personActor(holder.id), { cardId: card.id })).changed, false);
    assert.equal((await audits(card.id, 'card.blocked')).length, 1);
  });

  test('a cashier blocks it at a venue only with "identity checked"; a stranger or a door person is refused; all audited with the venue', async () => {
    const { card } = await linkedCard();
    const cashier = await cashierAt(w.venueA.id);
    const door = await ensurePerson(t.db, `door${n++}@example.org`, 'en');
    await t.db
      .insertInto('place_members')
      .values({ place_id: w.venueA.id, person_id: door.id, role: 'door' })
      .execute();
    const stranger = await ensurePerson(t.db, `nobody${n++}@example.org`, 'en');
    await assert.rejects(
      blockCardAtVenue(t.db, personActor(cashier.id), {
        slug: w.venueA.slug,
        cardId: card.id,
        identityChecked: undefined,
      }),
      (e: unknown) => e instanceof DomainError && e.code === 'validation' && e.fields[0]!.field === 'identity_checked',
    );
    await assert.rejects(
      blockCardAtVenue(t.db, personActor(cashier.id), { slug: w.venueA.slug, cardId: card.id, identityChecked: 'off' }),
      isCode('validation'),
    );
    await assert.rejects(
      blockCardAtVenue(t.db, personActor(stranger.id), { slug: w.venueA.slug, cardId: card.id, identityChecked: 'on' }),
      isCode('forbidden'),
    );
    await assert.rejects(
      blockCardAtVenue(t.db, personActor(door.id), { slug: w.venueA.slug, cardId: card.id, identityChecked: 'on' }),
      isCode('forbidden'),
    );
    await assert.rejects(
      blockCardAtVenue(t.db, personActor(cashier.id), { slug: w.venueB.slug, cardId: card.id, identityChecked: 'on' }),
      isCode('forbidden'),
    );
    assert.equal(await status(card.id), 'active');
    assert.equal((await audits(card.id, 'card.blocked')).length, 0);
    await blockCardAtVenue(t.db, personActor(cashier.id), {
      slug: w.venueA.slug,
      cardId: card.id,
      identityChecked: 'on',
      reason: 'lost at the bar',
    });
    assert.equal(await status(card.id), 'blocked');
    const entries = await audits(card.id, 'card.blocked');
    assert.deepEqual(entries, [{ place_id: w.venueA.id, actor_person_id: cashier.id }]);
  });

  test('only an operator unblocks; the holder cannot', async () => {
    const { card, holder } = await linkedCard();
    await blockCardByHolder(t.db, personActor(holder.id), { cardId: card.id });
    await assert.rejects(unblockCard(t.db, personActor(holder.id), { cardId: card.id }), isCode('forbidden'));
    await assert.rejects(unblockCard(t.db, null, { cardId: card.id }), isCode('forbidden'));
    assert.equal(await status(card.id), 'blocked');
    const op = await ensurePerson(t.db, `op${n++}@example.org`, 'en');
    const r = await unblockCard(t.db, personActor(op.id, true), { cardId: card.id });
    assert.equal(r.changed, true);
    assert.equal(await status(card.id), 'active');
    assert.equal((await unblockCard(t.db, SYSTEM, { cardId: card.id })).changed, false);
    assert.equal((await audits(card.id, 'card.unblocked')).length, 1);
  });
});

describe('block pages', () => {
  test('"My cards" lists the holder\'s cards; block asks for confirmation, then blocks; another person gets 404', async () => {
    const { card, holder } = await linkedCard();
    const c = await t.loginAs(holder.email);
    const list = await c.get('/account/cards?lang=en');
    assert.match(list.body, new RegExp(card.number));
    assert.match(list.body, new RegExp(`href="/account/cards/${card.id}/block"`));
    const confirm = await c.get(`/account/cards/${card.id}/block`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Yes, block it/);
    assert.equal(await status(card.id), 'active', 'the confirmation page blocks nothing');
    const other = await t.loginAs(`other${n++}@example.org`);
    assert.equal((await other.get(`/account/cards/${card.id}/block`)).statusCode, 404);
    assert.equal((await other.postForm(`/account/cards/${card.id}/block`, {})).statusCode, 404);
    assert.equal(await status(card.id), 'active');
    const done = await c.postForm(`/account/cards/${card.id}/block`, {});
    assert.equal(done.statusCode, 303);
    assert.equal(await status(card.id), 'blocked');
    const after = await c.get('/account/cards?blocked=1');
    assert.match(after.body, /Blocked: only the node operator can unblock it/);
    assert.equal((await t.client().get('/account/cards')).statusCode, 303, 'anonymous: to the login page');
  });

  test('a cashier finds a card by number or UID, sees the holder\'s name, and must tick "identity checked"', async () => {
    const { card } = await linkedCard();
    const cashier = await cashierAt(w.venueA.id);
    const c = await t.loginAs(cashier.email);
    for (const q of [card.number.toLowerCase(), card.uid.match(/../g)!.join(':')]) {
      const found = await c.get(`/venues/${w.venueA.slug}/cards?q=${encodeURIComponent(q)}`);
      assert.equal(found.statusCode, 200);
      assert.match(found.body, /Zoé Holder/);
      assert.match(found.body, new RegExp(`action="/venues/${w.venueA.slug}/cards/${card.id}/block"`));
    }
    const refused = await c.postForm(`/venues/${w.venueA.slug}/cards/${card.id}/block`, { card_reason: 'lost' });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /aria-invalid="true"/);
    assert.equal(await status(card.id), 'active');
    const done = await c.postForm(`/venues/${w.venueA.slug}/cards/${card.id}/block`, {
      identity_checked: 'on',
      card_reason: 'lost',
    });
    assert.equal(done.statusCode, 200);
    assert.equal(await status(card.id), 'blocked');

    const stranger = await t.loginAs(`passer${n++}@example.org`);
    assert.equal((await stranger.get(`/venues/${w.venueA.slug}/cards?q=${card.number}`)).statusCode, 403);
    const { card: other } = await linkedCard();
    assert.equal(
      (await stranger.postForm(`/venues/${w.venueA.slug}/cards/${other.id}/block`, { identity_checked: 'on' }))
        .statusCode,
      403,
    );
    assert.equal(await status(other.id), 'active');
  });

  test('the operator page lists blocked cards and unblocks them; others cannot', async () => {
    const { card, holder } = await linkedCard();
    await blockCardByHolder(t.db, personActor(holder.id), { cardId: card.id });
    const holderClient = await t.loginAs(holder.email);
    assert.equal((await holderClient.postForm(`/admin/cards/${card.id}/unblock`, {})).statusCode, 403);
    assert.equal(await status(card.id), 'blocked');
    const op = await ensurePerson(t.db, `operator${n++}@example.org`, 'en');
    await t.db.updateTable('people').set({ is_operator: true }).where('id', '=', op.id).execute();
    const c = await t.loginAs(op.email);
    const page = await c.get(`/admin/cards?q=${card.number}`);
    assert.match(page.body, new RegExp(`action="/admin/cards/${card.id}/unblock"`));
    const done = await c.postForm(`/admin/cards/${card.id}/unblock`, {});
    assert.equal(done.statusCode, 200);
    assert.equal(await status(card.id), 'active');
  });
});
