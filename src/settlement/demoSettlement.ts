import type { Trx } from '../db/database.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/index.ts';
import {
  createTransfers,
  ensureAccount,
  findFederationBySlug,
  federationToken,
  sealBlocks,
  signCheckpoints,
} from '../ledger/index.ts';
import { uuidv7 } from '../shared/ids.ts';
import { addTreasurer } from './addTreasurer.ts';
import { markPaid } from './markPaid.ts';
import { runSettlement } from './runSettlement.ts';

export const DEMO_TREASURER_EMAIL = 'tresorerie@demo.rezo.test';

/**
 * The demo's past settlement (docs/SETTLEMENT.md): the federation's treasurer, one run up to the moment
 * the demo's wallet history ends — a signed statement per venue —, the venues owed money paid by SEPA
 * except one (still to pay), the venues owing cash left to receive; then a few bar payments after it,
 * waiting for the next run. Runs in the demo's transaction, after the demo ledger.
 */
export async function loadDemoSettlement(trx: Trx): Promise<void> {
  const federation = await findFederationBySlug(trx, 'reseau-reunion');
  const euro = federation ? await federationToken(trx, federation.id) : null;
  if (!federation || !euro) return;
  const treasurer = await ensurePerson(trx, DEMO_TREASURER_EMAIL, 'fr');
  await trx.updateTable('people').set({ name: 'Trésorerie du réseau' }).where('id', '=', treasurer.id).execute();
  await addTreasurer(trx, SYSTEM, { federation: federation.slug, email: DEMO_TREASURER_EMAIL });
  const actor = personActor(treasurer.id);

  const wallets = await trx
    .selectFrom('ledger_accounts')
    .select(['id', 'owner_ref'])
    .where('currency_id', '=', euro.id)
    .where('owner_kind', '=', 'person')
    .where('balance', '>=', 3000)
    .orderBy('owner_ref')
    .limit(30)
    .execute();
  const venues = await trx.selectFrom('places').select(['id', 'slug']).orderBy('slug').execute();
  const pay = async (n: number, slug: string, amount: number, metadata: Record<string, unknown>) => {
    const wallet = wallets[n % wallets.length]!;
    const venue = venues.find((v) => v.slug === slug)!;
    const account = await ensureAccount(trx, { currencyId: euro.id, ownerKind: 'place', ownerRef: venue.id });
    await createTransfers(trx, personActor(wallet.owner_ref), {
      transfers: [
        { id: uuidv7(), debitAccountId: wallet.id, creditAccountId: account.id, amount, kind: 'payment', metadata },
      ],
    });
  };
  // The period's bar sales and ticket orders paid from wallets at the other venues.
  for (let i = 0; i < 24; i++) {
    const slug = ['salle-kabaret', 'jardin-partage', 'festival-lagon'][i % 3]!;
    await pay(i, slug, 300 + (i % 5) * 200, { sale: `demo-period-${i}` });
  }
  for (let i = 0; i < 4; i++) await pay(i + 7, 'salle-kabaret', 1500, { order: `demo-order-${i}` });

  // Transfers written in this transaction carry the clock's time: the end comes strictly after them.
  await new Promise((r) => setTimeout(r, 2));
  const { statements } = await runSettlement(trx, actor, { federation: federation.slug, until: new Date() });
  const toPay = statements.filter((s) => s.closingCents > 0);
  for (const [n, s] of toPay.slice(0, -1).entries())
    await markPaid(trx, actor, { statementId: s.id, reference: `VIR-DEMO-${String(n + 1).padStart(4, '0')}` });

  // Sales since the run: on the venues' accounts, not settled yet.
  for (let i = 0; i < 8; i++)
    await pay(i + 11, venues[i % venues.length]!.slug, 350 + (i % 3) * 250, { sale: `demo-after-${i}` });
  await sealBlocks(trx);
  await signCheckpoints(trx, undefined, { force: true });
}
