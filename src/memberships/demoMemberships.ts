import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { createMembershipProduct } from './createMembershipProduct.ts';

/**
 * The demo's membership products (called only by src/demo/loadDemo.ts): each demo venue with
 * memberships sells a yearly membership and a supporting one at a price the member chooses, paid with
 * the demo payment provider (docs/PAYMENTS.md, "Demo provider").
 */
export async function loadDemoMemberships(trx: Trx): Promise<{ products: number }> {
  const places = await trx
    .selectFrom('places')
    .select(['slug'])
    .where(sql<boolean>`'memberships' = any(modules)`)
    .orderBy('slug')
    .execute();
  let products = 0;
  for (const place of places) {
    await createMembershipProduct(trx, SYSTEM, place.slug, {
      name: 'Adhésion annuelle',
      description: 'Un an d’adhésion : tarif adhérent aux événements, voix à l’assemblée générale.',
      validity_kind: 'days',
      validity_value: '365',
      price_kind: 'fixed',
      price: place.slug === 'jardin-partage' ? '10' : '15',
    });
    await createMembershipProduct(trx, SYSTEM, place.slug, {
      name: 'Adhésion de soutien',
      description: 'Le même an d’adhésion, au prix que vous choisissez (5 € au moins).',
      validity_kind: 'days',
      validity_value: '365',
      price_kind: 'pay_what_you_want',
      price: '30',
      min_price: '5',
    });
    products += 2;
  }
  return { products };
}
