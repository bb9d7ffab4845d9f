import type { Trx } from '../db/database.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/index.ts';
import { uuidv7 } from '../shared/ids.ts';
import { burnOnRefund } from './burnOnRefund.ts';
import { createCurrency } from './createCurrency.ts';
import { createFederation } from './createFederation.ts';
import { createTransfers } from './createTransfers.ts';
import { ensureAccount } from './ensureAccount.ts';
import { mintAgainstPayment } from './mintAgainstPayment.ts';
import { sealBlocks } from './sealer.ts';
import { signCheckpoints } from './signCheckpoints.ts';

const FIRST = [
  'Aurélie',
  'Bastien',
  'Chloé',
  'David',
  'Émilie',
  'Fabrice',
  'Gaëlle',
  'Hugo',
  'Isabelle',
  'Jonathan',
  'Kelly',
  'Loïc',
  'Manon',
  'Nicolas',
  'Océane',
  'Pierre',
  'Quentin',
  'Rose',
  'Sébastien',
  'Tiana',
  'Ugo',
  'Valérie',
  'William',
  'Yasmine',
  'Zoé',
];
const LAST = ['Payet', 'Hoarau', 'Grondin', 'Técher', 'Robert', 'Fontaine', 'Maillot', 'Boyer', 'Dijoux', 'Lauret'];
const PEOPLE = 52;
/** Where the cash top-ups are taken: the venues with a bar. */
const COUNTERS = ['la-fabrik', 'salle-kabaret', 'festival-lagon'];

/**
 * The demo territory's wallet: one federation of the four venues with its euro token (REZO), a
 * currency per venue (gift credits at La Fabrik and at the festival, loyalty points at the Kabaret,
 * volunteering hours at the Jardin Partagé), 52 people with wallets and a few hundred transfers —
 * top-ups against recorded payments, payments, refunds — then signed checkpoints, so that
 * `rezo ledger verify` and /transparency have something real to show. Runs in the demo's transaction.
 * Deterministic (a fixed pseudo-random sequence) so every demo node looks the same.
 */
export async function loadDemoLedger(trx: Trx): Promise<{ transfers: number }> {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const places = new Map((await trx.selectFrom('places').select(['id', 'slug']).execute()).map((p) => [p.slug, p.id]));
  const placeId = (slug: string) => places.get(slug)!;
  const federation = await createFederation(trx, SYSTEM, {
    slug: 'reseau-reunion',
    name: 'Réseau des lieux de La Réunion',
    placeIds: [...places.values()],
  });
  const euro = await createCurrency(trx, SYSTEM, {
    code: 'REZO',
    name: 'Rézo €',
    kind: 'federated_euro',
    decimals: 2,
    federationId: federation.id,
  });
  const fabrik = await createCurrency(trx, SYSTEM, {
    code: 'FABRIK',
    name: 'Avoir La Fabrik',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: placeId('la-fabrik'),
  });
  const lagon = await createCurrency(trx, SYSTEM, {
    code: 'LAGON',
    name: 'Bon cadeau Festival du Lagon',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: placeId('festival-lagon'),
    acceptedByPlaceIds: [placeId('la-fabrik')],
  });
  const points = await createCurrency(trx, SYSTEM, {
    code: 'KABAR',
    name: 'Points Kabaret',
    kind: 'loyalty',
    decimals: 0,
    issuerPlaceId: placeId('salle-kabaret'),
  });
  const hours = await createCurrency(trx, SYSTEM, {
    code: 'HEURE',
    name: 'Heures bénévoles',
    kind: 'time',
    decimals: 2,
    issuerPlaceId: placeId('jardin-partage'),
    acceptedByPlaceIds: [...places.values()],
  });

  const venueAccount = (currencyId: string, slug: string) =>
    ensureAccount(trx, { currencyId, ownerKind: 'place', ownerRef: placeId(slug) });
  const euroVenues = await Promise.all(
    ['la-fabrik', 'salle-kabaret', 'jardin-partage', 'festival-lagon'].map((s) => venueAccount(euro.id, s)),
  );
  const fabrikVenue = await venueAccount(fabrik.id, 'la-fabrik');
  const lagonAtFabrik = await venueAccount(lagon.id, 'la-fabrik');
  const hoursAtJardin = await venueAccount(hours.id, 'jardin-partage');

  let transfers = 0;
  const topUps: { payment: { provider: 'stripe' | 'cash'; reference: string }; amount: number }[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 7) % LAST.length]!;
    const email = `${first
      .normalize('NFD')
      .replace(/[^a-zA-Z]/g, '')
      .toLowerCase()}.${last.toLowerCase()}${i}@demo.rezo.test`;
    const person = await ensurePerson(trx, email, 'fr');
    await trx
      .updateTable('people')
      .set({ name: `${first} ${last}` })
      .where('id', '=', person.id)
      .execute();
    const actor = personActor(person.id);
    const wallet = await ensureAccount(trx, { currencyId: euro.id, ownerKind: 'person', ownerRef: person.id });

    // Two top-ups: one by card (Stripe, through the payments module), one in cash — every fourth person
    // at a venue's counter (the venue holds that cash for the federation until settlement,
    // docs/SETTLEMENT.md), the others at the federation's own desk.
    let balance = 0;
    const counter = i % 4 === 0 ? placeId(COUNTERS[(i / 4) % COUNTERS.length]!) : null;
    for (const provider of ['stripe', 'cash'] as const) {
      const amount = (2 + random(5)) * 1000;
      const payment = {
        provider,
        reference: provider === 'stripe' ? `pi_demo_${i}_${transfers}` : `cash-demo-${i}-${transfers}`,
      };
      await mintAgainstPayment(trx, SYSTEM, {
        id: uuidv7(),
        currencyCode: euro.code,
        accountId: wallet.id,
        amount,
        payment,
        ...(provider === 'cash' && counter ? { placeId: counter } : {}),
      });
      topUps.push({ payment, amount });
      balance += amount;
      transfers++;
    }
    // Payments at the venues: drinks, tickets, workshops.
    const payments = 2 + random(3);
    for (let k = 0; k < payments; k++) {
      const amount = (1 + random(12)) * 50;
      if (amount > balance) break;
      const venue = euroVenues[random(euroVenues.length)]!;
      await createTransfers(trx, actor, {
        transfers: [
          {
            id: uuidv7(),
            debitAccountId: wallet.id,
            creditAccountId: venue.id,
            amount,
            kind: 'payment',
            metadata: { sale: `demo-${i}-${k}` },
          },
        ],
      });
      balance -= amount;
      transfers++;
    }
    // Every third person got a gift credit at La Fabrik and spent part of it; every fourth volunteered.
    if (i % 3 === 0) {
      const gift = await ensureAccount(trx, { currencyId: fabrik.id, ownerKind: 'person', ownerRef: person.id });
      await mintAgainstPayment(trx, SYSTEM, {
        id: uuidv7(),
        currencyCode: fabrik.code,
        accountId: gift.id,
        amount: 1500,
        placeId: placeId('la-fabrik'),
      });
      await createTransfers(trx, actor, {
        transfers: [
          {
            id: uuidv7(),
            debitAccountId: gift.id,
            creditAccountId: fabrikVenue.id,
            amount: 500 + random(5) * 100,
            kind: 'payment',
          },
        ],
      });
      transfers += 2;
    }
    if (i % 5 === 0) {
      const bon = await ensureAccount(trx, { currencyId: lagon.id, ownerKind: 'person', ownerRef: person.id });
      await mintAgainstPayment(trx, SYSTEM, {
        id: uuidv7(),
        currencyCode: lagon.code,
        accountId: bon.id,
        amount: 2000,
        placeId: placeId('festival-lagon'),
      });
      await createTransfers(trx, actor, {
        transfers: [
          { id: uuidv7(), debitAccountId: bon.id, creditAccountId: lagonAtFabrik.id, amount: 800, kind: 'payment' },
        ],
      });
      transfers += 2;
    }
    if (i % 4 === 0) {
      const time = await ensureAccount(trx, { currencyId: hours.id, ownerKind: 'person', ownerRef: person.id });
      await mintAgainstPayment(trx, SYSTEM, {
        id: uuidv7(),
        currencyCode: hours.code,
        accountId: time.id,
        amount: 300 + random(4) * 100,
        placeId: placeId('jardin-partage'),
      });
      await createTransfers(trx, actor, {
        transfers: [
          {
            id: uuidv7(),
            debitAccountId: time.id,
            creditAccountId: hoursAtJardin.id,
            amount: 100,
            kind: 'payment',
            metadata: { workshop: 'atelier semis' },
          },
        ],
      });
      transfers += 2;
    }
    if (i % 2 === 1) {
      const loyalty = await ensureAccount(trx, { currencyId: points.id, ownerKind: 'person', ownerRef: person.id });
      await mintAgainstPayment(trx, SYSTEM, {
        id: uuidv7(),
        currencyCode: points.code,
        accountId: loyalty.id,
        amount: 10 + random(40),
        placeId: placeId('salle-kabaret'),
      });
      transfers++;
    }
  }
  // A few refunded card top-ups: the tokens still there are burnt, the euros paid back.
  for (const [n, topUp] of topUps
    .filter((t) => t.payment.provider === 'stripe')
    .slice(0, 8)
    .entries()) {
    await burnOnRefund(trx, SYSTEM, {
      id: uuidv7(),
      payment: topUp.payment,
      refund: { provider: 'stripe', reference: `re_demo_${n}` },
      amount: Math.min(topUp.amount, 1000),
    });
    transfers++;
  }
  // The demo's transfers sealed into each currency's first block, then signed.
  await sealBlocks(trx);
  await signCheckpoints(trx, undefined, { force: true });
  return { transfers };
}
