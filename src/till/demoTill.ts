import type { Trx } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { saveArticle, type ArticleInput } from './saveArticle.ts';
import { saveCategory } from './saveCategory.ts';
import { savePoint } from './savePoint.ts';
import { setPointArticles } from './setPointArticles.ts';

/** La Réunion's VAT rates (basis points): 8,5 % normal (alcohol), 2,1 % reduced (food, soft drinks). */
const VAT_NORMAL = 850;
const VAT_REDUCED = 210;

const DRINKS: ArticleInput[] = [
  { name: 'Dodo', priceCents: 350, vatRate: VAT_NORMAL, colour: '#f9a825' },
  { name: 'Jus de goyavier', priceCents: 250, vatRate: VAT_REDUCED, colour: '#e53935' },
  { name: 'Rhum arrangé', priceCents: 400, vatRate: VAT_NORMAL, colour: '#8d6e63' },
  { name: 'Eau', priceCents: 100, vatRate: VAT_REDUCED, colour: '#29b6f6' },
  { name: 'Cola péi', priceCents: 200, vatRate: VAT_REDUCED, colour: '#5d4037' },
];
const FOOD: ArticleInput[] = [
  { name: 'Samoussas (×3)', priceCents: 300, vatRate: VAT_REDUCED, colour: '#fb8c00' },
  { name: 'Bouchons (×4)', priceCents: 400, vatRate: VAT_REDUCED, colour: '#ffb74d' },
  { name: 'Gâteau patate', priceCents: 200, vatRate: VAT_REDUCED, colour: '#a1887f' },
];

/**
 * The demo's points of sale, for every demo venue: a bar (drinks and food, with categories and their
 * colours, La Réunion's VAT rates) and a front desk ("Accueil") for top-ups of the federated euro REZO
 * (amount typed at the till), cash-outs, the cup deposit and its return, a gift top-up where the venue
 * has a gift currency, and a membership where it sells one. Runs in the demo's transaction, after the
 * ledger demo (it reads the currencies by code and the venues by slug); skips a venue already set up.
 */
export async function loadDemoTill(trx: Trx): Promise<{ points: number; articles: number }> {
  const places = await trx.selectFrom('places').select(['id', 'slug']).orderBy('slug').execute();
  const rezo = await trx
    .selectFrom('ledger_currencies')
    .select('id')
    .where('code', '=', 'REZO')
    .where('kind', '=', 'federated_euro')
    .executeTakeFirst();
  let points = 0;
  let articles = 0;
  for (const place of places) {
    const placeId = place.id;
    const already = await trx
      .selectFrom('pos_points')
      .select('id')
      .where('place_id', '=', placeId)
      .limit(1)
      .executeTakeFirst();
    if (already) continue;
    const article = async (input: ArticleInput) => {
      articles++;
      return (await saveArticle(trx, SYSTEM, { placeId, kind: 'sale', ...input })).id;
    };
    const drinks = await saveCategory(trx, SYSTEM, { placeId, name: 'Boissons', colour: '#1565c0' });
    const food = await saveCategory(trx, SYSTEM, { placeId, name: 'À manger', colour: '#ef6c00' });
    const desk = await saveCategory(trx, SYSTEM, { placeId, name: 'Caisse', colour: '#2e7d32' });

    const barArticles: string[] = [];
    for (const d of DRINKS) barArticles.push(await article({ ...d, categoryId: drinks.id }));
    for (const f of FOOD) barArticles.push(await article({ ...f, categoryId: food.id }));
    const cup = await article({
      name: 'Gobelet consigné',
      kind: 'deposit',
      priceCents: 100,
      vatRate: 0,
      colour: '#00897b',
      categoryId: desk.id,
    });
    const cupBack = await article({
      name: 'Retour gobelet',
      kind: 'deposit_return',
      priceCents: 100,
      vatRate: 0,
      colour: '#4db6ac',
      categoryId: desk.id,
    });
    barArticles.push(cup, cupBack);

    const deskArticles: string[] = [];
    if (rezo) {
      deskArticles.push(
        await article({
          name: 'Recharge REZO',
          kind: 'top_up',
          priceCents: null,
          currencyId: rezo.id,
          colour: '#2e7d32',
          categoryId: desk.id,
        }),
      );
      deskArticles.push(
        await article({
          name: 'Recharge 10 € REZO',
          kind: 'top_up',
          priceCents: 1000,
          currencyId: rezo.id,
          colour: '#43a047',
          categoryId: desk.id,
        }),
      );
    }
    deskArticles.push(
      await article({
        name: 'Retrait (remboursement)',
        kind: 'cash_out',
        priceCents: null,
        colour: '#c62828',
        categoryId: desk.id,
      }),
    );
    deskArticles.push(cup, cupBack);
    const gift = await trx
      .selectFrom('ledger_currencies')
      .select(['id', 'name'])
      .where('issuer_place_id', '=', placeId)
      .where('kind', '=', 'gift')
      .where('status', '=', 'active')
      .orderBy('code')
      .executeTakeFirst();
    if (gift)
      deskArticles.push(
        await article({
          name: gift.name,
          kind: 'gift_top_up',
          priceCents: null,
          currencyId: gift.id,
          colour: '#ad1457',
          categoryId: desk.id,
        }),
      );
    const product = await trx
      .selectFrom('membership_products')
      .select(['id', 'name', 'price_kind', 'price_cents'])
      .where('place_id', '=', placeId)
      .where('active', '=', true)
      .orderBy('name')
      .executeTakeFirst();
    if (product) {
      deskArticles.push(
        await article({
          name: `Adhésion ${product.name}`,
          kind: 'membership',
          membershipProductId: product.id,
          vatRate: 0,
          colour: '#6a1b9a',
          categoryId: desk.id,
          priceCents:
            product.price_kind === 'fixed' ? Number(product.price_cents) : product.price_kind === 'free' ? 0 : null,
        }),
      );
    }

    const bar = await savePoint(trx, SYSTEM, { placeId, name: 'Bar', paymentMethods: ['card', 'cash', 'bank_card'] });
    await setPointArticles(trx, SYSTEM, { placeId, pointId: bar.id, articleIds: barArticles });
    const accueil = await savePoint(trx, SYSTEM, {
      placeId,
      name: 'Accueil',
      paymentMethods: ['card', 'cash', 'bank_card'],
    });
    await setPointArticles(trx, SYSTEM, { placeId, pointId: accueil.id, articleIds: deskArticles });
    points += 2;
  }
  return { points, articles };
}
