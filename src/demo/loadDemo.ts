import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { outsideLockOrder } from '../db/locks.ts';
import { SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/index.ts';
import { addDemoPlaceImages, createPlace } from '../places/index.ts';
import { loadDemoAgenda } from '../agenda/index.ts';
import { loadDemoLedger } from '../ledger/index.ts';
import { loadDemoCards } from '../cards/index.ts';
import { loadDemoTill } from '../till/index.ts';
import { loadDemoSettlement } from '../settlement/index.ts';
import { loadDemoMemberships } from '../memberships/index.ts';
import { loadDemoTicketing } from '../ticketing/index.ts';

export const DEMO_ADMIN_EMAIL = 'admin@demo.rezo.test';

interface DemoPlace {
  slug: string;
  name: string;
  description: string;
  street: string;
  postal_code: string;
  city: string;
  latitude: number;
  longitude: number;
  modules: string[];
  /** The colour of its demo logo and cover (the same as its events' demo posters). */
  colour: string;
  team: { email: string; name: string; role: 'admin' | 'editor' | 'cashier' | 'door' }[];
}

/** A small territory modelled on La Réunion's third places and venues (names are fictional). */
const PLACES: DemoPlace[] = [
  {
    slug: 'la-fabrik',
    colour: '#8a3b12',
    name: 'La Fabrik',
    city: 'Saint-Pierre',
    street: '12 rue des Bons Enfants',
    postal_code: '97410',
    latitude: -21.3393,
    longitude: 55.4781,
    modules: ['agenda', 'ticketing', 'memberships', 'cashless'],
    description:
      'Tiers-lieu culturel du Sud : ateliers, concerts et bar associatif.\n\nOuvert du mercredi au dimanche.',
    team: [
      { email: 'marie@demo.rezo.test', name: 'Marie Payet', role: 'admin' },
      { email: 'leo@demo.rezo.test', name: 'Léo Hoarau', role: 'editor' },
      { email: 'bar@demo.rezo.test', name: 'Nadia Grondin', role: 'cashier' },
    ],
  },
  {
    slug: 'salle-kabaret',
    colour: '#5b2a86',
    name: 'Salle Kabaret',
    city: 'Saint-Denis',
    street: '4 rue de Paris',
    postal_code: '97400',
    latitude: -20.8789,
    longitude: 55.4481,
    modules: ['agenda', 'ticketing', 'cashless'],
    description: 'Salle de concert de 600 places au cœur de Saint-Denis : maloya, séga, musiques actuelles.',
    team: [
      { email: 'paul@demo.rezo.test', name: 'Paul Técher', role: 'admin' },
      { email: 'porte@demo.rezo.test', name: 'Inès Maillot', role: 'door' },
      { email: 'leo@demo.rezo.test', name: 'Léo Hoarau', role: 'editor' },
    ],
  },
  {
    slug: 'jardin-partage',
    colour: '#2f6b2f',
    name: 'Le Jardin Partagé',
    city: 'Le Tampon',
    street: '88 chemin Gol',
    postal_code: '97430',
    latitude: -21.2779,
    longitude: 55.5177,
    modules: ['agenda', 'memberships'],
    description: 'Association de jardins partagés et de troc de graines, avec un café associatif.',
    team: [{ email: 'sophie@demo.rezo.test', name: 'Sophie Robert', role: 'admin' }],
  },
  {
    slug: 'festival-lagon',
    colour: '#0e5f66',
    name: 'Festival du Lagon',
    city: 'Saint-Gilles-les-Bains',
    street: 'Plage de l’Ermitage',
    postal_code: '97434',
    latitude: -21.0811,
    longitude: 55.2237,
    modules: ['agenda', 'ticketing', 'cashless'],
    description: 'Trois jours de musique au bord du lagon, chaque année en novembre.',
    team: [
      { email: 'marie@demo.rezo.test', name: 'Marie Payet', role: 'admin' },
      { email: 'bar@demo.rezo.test', name: 'Nadia Grondin', role: 'cashier' },
      { email: 'porte@demo.rezo.test', name: 'Inès Maillot', role: 'door' },
    ],
  },
];

/**
 * Loads the demo territory into an empty database: an operator (the demo admin), four venues and
 * their teams. Refuses a database that already has venues, so it never mixes with real data.
 * Returns false when the database was not empty.
 */
export async function loadDemo(db: Db, config: Config): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const existing = await trx.selectFrom('places').select('id').limit(1).execute();
    if (existing.length > 0) return false;
    // One transaction plays many requests in a row (transfers, then a settlement run, a card import…).
    outsideLockOrder(trx);
    const admin = await ensurePerson(trx, DEMO_ADMIN_EMAIL, 'fr');
    await trx.updateTable('people').set({ is_operator: true, name: 'Admin démo' }).where('id', '=', admin.id).execute();
    for (const demo of PLACES) {
      const { team, colour, ...fields } = demo;
      const place = await createPlace(
        trx,
        SYSTEM,
        { ...fields, timezone: config.timeZone, country: 'RE', language: 'fr' },
        admin.id,
      );
      await addDemoPlaceImages(trx, { slug: place.slug, name: place.name, colour });
      for (const member of team) {
        const person = await ensurePerson(trx, member.email, 'fr');
        await trx.updateTable('people').set({ name: member.name }).where('id', '=', person.id).execute();
        await trx
          .insertInto('place_members')
          .values({ place_id: place.id, person_id: person.id, role: member.role })
          .onConflict((oc) => oc.columns(['place_id', 'person_id']).doUpdateSet({ role: member.role }))
          .execute();
      }
    }
    await loadDemoAgenda(trx);
    await loadDemoMemberships(trx);
    await loadDemoTicketing(trx, config);
    await loadDemoLedger(trx);
    await loadDemoSettlement(trx);
    await loadDemoCards(trx);
    await loadDemoTill(trx);
    return true;
  });
}

/** True when the database has no venue yet (a new node). */
export async function isEmptyNode(db: Db): Promise<boolean> {
  return (await db.selectFrom('places').select('id').limit(1).execute()).length === 0;
}

/** True when the demo territory was loaded into this database (its admin, a node operator, exists). */
export async function hasDemoData(db: Db): Promise<boolean> {
  const admin = await db.selectFrom('people').select('id').where('email', '=', DEMO_ADMIN_EMAIL).executeTakeFirst();
  return admin !== undefined;
}
