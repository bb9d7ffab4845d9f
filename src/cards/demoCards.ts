import { createHmac } from 'node:crypto';
import type { Trx } from '../db/database.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/index.ts';
import { csvLine } from '../shared/csv.ts';
import { derivedUuid } from './cards.ts';
import { ensureAccount, findCurrency, mintAgainstPayment } from '../ledger/index.ts';
import { blockCardByHolder } from './blockCard.ts';
import { importCards } from './importCards.ts';
import { linkCard } from './linkCard.ts';
import { loadNodeSecret } from '../node/nodeSecret.ts';

export const DEMO_CARDS = 100;

export interface DemoCard {
  number: string;
  uid: string;
  /** The QR token printed on the card: open /cards/<token>. */
  token: string;
}

export interface DemoCardsResult {
  batchId: string;
  /** Anonymous cards with money on them. */
  anonymous: DemoCard[];
  /** Cards linked to demo people (their balance merged into the wallet). */
  linked: (DemoCard & { email: string })[];
  blocked: DemoCard & { email: string };
  /** One staff card per demo venue, linked to a cashier there: it opens the till. */
  staff: (DemoCard & { place: string; email: string })[];
}

/**
 * Card n of the demo batch on this install: the same number everywhere, but a UID and a QR token made
 * from the node's own secret (random per install), so that no one can take a demo card's money on a
 * node from values published in the source. The same secret gives them again, so `rezo serve` can
 * print them at every start without keeping the token itself (only its hash is stored).
 */
export function demoCard(secret: string, n: number): DemoCard {
  const pad = String(n).padStart(3, '0');
  const derive = (label: string) => createHmac('sha256', secret).update(`rezo-demo-card-${label}:${n}`).digest();
  return {
    number: `DEMO-${pad}`,
    uid: `04${derive('uid').toString('hex').slice(0, 12).toUpperCase()}`,
    token: `demo${pad}${derive('token').toString('base64url').slice(0, 24)}`,
  };
}

/**
 * The demo's cards (runs in the demo's transaction, after the demo ledger): a batch of 100 cards;
 * cards 1–20 anonymous with euros (REZO, against recorded cash) and a few with a festival gift
 * credit (LAGON); 21–30 linked to demo people (21–25 had money, merged into the wallet); 31 linked
 * then blocked by its holder; 91–94 the staff cards of the four venues, each linked to a cashier
 * there (a cashier is created for the venues that have none). The others stay blank.
 */
export async function loadDemoCards(trx: Trx): Promise<DemoCardsResult> {
  const secret = await loadNodeSecret(trx);
  const demoCardOf = (n: number) => demoCard(secret, n);
  const cards = Array.from({ length: DEMO_CARDS }, (_, i) => demoCardOf(i + 1));
  const csv = csvLine(['uid', 'number', 'qr_token']) + cards.map((c) => csvLine([c.uid, c.number, c.token])).join('');
  const report = await importCards(trx, SYSTEM, { name: 'Cartes démo', csv, apply: true });
  if (!report.imported || !report.batchId)
    throw new Error(`demo cards not imported: ${JSON.stringify(report.rejected.slice(0, 3))}`);
  const ids = new Map(
    (await trx.selectFrom('cards').select(['id', 'number']).where('batch_id', '=', report.batchId).execute()).map(
      (c) => [c.number, c.id],
    ),
  );
  const idOf = (n: number) => ids.get(demoCardOf(n).number)!;

  const euro = await findCurrency(trx, 'REZO');
  const gift = await findCurrency(trx, 'LAGON');
  const fund = async (n: number, amount: number) => {
    if (!euro) return;
    const account = await ensureAccount(trx, { currencyId: euro.id, ownerKind: 'card', ownerRef: idOf(n) });
    await mintAgainstPayment(trx, SYSTEM, {
      id: derivedUuid('rezo-demo-card-mint', String(n)),
      currencyCode: euro.code,
      accountId: account.id,
      amount,
      payment: { provider: 'cash', reference: `cash-demo-card-${n}` },
      metadata: { card: demoCardOf(n).number },
    });
  };
  for (let n = 1; n <= 25; n++) await fund(n, (4 + (n % 7)) * 500);
  if (gift?.issuerPlaceId) {
    for (const n of [1, 2, 3, 21]) {
      const account = await ensureAccount(trx, { currencyId: gift.id, ownerKind: 'card', ownerRef: idOf(n) });
      await mintAgainstPayment(trx, SYSTEM, {
        id: derivedUuid('rezo-demo-card-gift', String(n)),
        currencyCode: gift.code,
        accountId: account.id,
        amount: 1500,
        placeId: gift.issuerPlaceId,
      });
    }
  }

  // Demo people of the wallet (demo ledger): the first ones get cards.
  const people = await trx
    .selectFrom('people')
    .select(['id', 'email'])
    .where('email', 'like', '%@demo.rezo.test')
    .where('email', '~', '[0-9]@')
    .orderBy('email')
    .limit(11)
    .execute();
  const linked: DemoCardsResult['linked'] = [];
  for (const [k, p] of people.slice(0, 10).entries()) {
    const n = 21 + k;
    await linkCard(trx, personActor(p.id), { cardId: idOf(n) });
    linked.push({ ...demoCardOf(n), email: p.email });
  }
  const holder = people[10] ?? (await ensurePerson(trx, 'carte.perdue@demo.rezo.test', 'fr'));
  await linkCard(trx, personActor(holder.id), { cardId: idOf(31) });
  await blockCardByHolder(trx, personActor(holder.id), { cardId: idOf(31), reason: 'perdue' });

  const places = await trx.selectFrom('places').select(['id', 'slug', 'name']).orderBy('slug').execute();
  const staff: DemoCardsResult['staff'] = [];
  for (const [k, place] of places.slice(0, 4).entries()) {
    let cashier = await trx
      .selectFrom('place_members as m')
      .innerJoin('people as p', 'p.id', 'm.person_id')
      .select(['p.id', 'p.email'])
      .where('m.place_id', '=', place.id)
      .where('m.role', '=', 'cashier')
      .orderBy('p.email')
      .executeTakeFirst();
    if (!cashier) {
      const person = await ensurePerson(trx, `caisse.${place.slug}@demo.rezo.test`, 'fr');
      await trx
        .updateTable('people')
        .set({ name: `Caisse ${place.name}` })
        .where('id', '=', person.id)
        .execute();
      await trx
        .insertInto('place_members')
        .values({ place_id: place.id, person_id: person.id, role: 'cashier' })
        .onConflict((oc) => oc.columns(['place_id', 'person_id']).doUpdateSet({ role: 'cashier' }))
        .execute();
      cashier = { id: person.id, email: person.email };
    }
    const n = 91 + k;
    await linkCard(trx, personActor(cashier.id), { cardId: idOf(n) });
    staff.push({ ...demoCardOf(n), place: place.slug, email: cashier.email });
  }

  return {
    batchId: report.batchId,
    anonymous: [1, 2, 3].map(demoCardOf),
    linked: linked.slice(0, 3),
    blocked: { ...demoCardOf(31), email: holder.email },
    staff,
  };
}
