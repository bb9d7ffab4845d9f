import type { Db } from '../db/database.ts';
import type { TransferNote } from '../http/module.ts';

/** What one sale was: the articles bought (name and quantity, in the order of the ticket). */
export interface SaleItems {
  items: { name: string; quantity: number }[];
}

/**
 * The articles of these sales, from the sales journal (the record that cannot change), for the
 * history lines of a card or a wallet: "2 × Bière pression, 1 × Samoussas". At most 100 sales at a
 * time (a page of history); a sale missing from the answer had no article line (a top-up).
 */
export async function saleItemsOf(db: Db, saleIds: readonly string[]): Promise<Map<string, SaleItems>> {
  const ids = [...new Set(saleIds)].slice(0, 100);
  const bySale = new Map<string, SaleItems>();
  if (ids.length === 0) return bySale;
  const rows = await db
    .selectFrom('till_journal')
    .select(['sale_id', 'article_name', 'quantity'])
    .where('sale_id', 'in', ids)
    .where('kind', '=', 'item')
    .orderBy('sale_id')
    .orderBy('position')
    .execute();
  for (const row of rows) {
    if (!row.article_name) continue;
    const sale = bySale.get(row.sale_id) ?? { items: [] };
    sale.items.push({ name: row.article_name, quantity: row.quantity ?? 1 });
    bySale.set(row.sale_id, sale);
  }
  return bySale;
}

/** The till's word in a history: the articles of the sale a transfer paid ("2 × Bière, 1 × Samoussas"). */
export const saleItemsNote: TransferNote = {
  order: 10,
  async notes(db, transfers) {
    const saleOf = new Map<string, string>();
    for (const tr of transfers) if (typeof tr.metadata.sale === 'string') saleOf.set(tr.id, tr.metadata.sale);
    const sales = await saleItemsOf(db, [...saleOf.values()]);
    const notes = new Map<string, string>();
    for (const [transferId, saleId] of saleOf) {
      const sale = sales.get(saleId);
      if (sale) notes.set(transferId, sale.items.map((i) => `${i.quantity} × ${i.name}`).join(', '));
    }
    return notes;
  },
};
