import type { Db } from '../db/database.ts';
import { JOURNAL_GENESIS, journalHash, type JournalLine } from './journal.ts';

export interface JournalCheck {
  ok: boolean;
  lines: number;
  /** The first inconsistency: where and what. */
  problem: { position: number; reason: 'position' | 'prev-hash' | 'hash' | 'head' } | null;
}

const PAGE = 1000;

/**
 * Re-checks a venue's sales journal from the outside (invariant 6): positions 1, 2, 3… without gap,
 * each `prev_hash` equal to the previous line's hash, each hash recomputed from the frozen fields in
 * TypeScript, and the head row equal to the last line. A line edited behind the application's back
 * (trigger disabled) no longer matches its hash.
 */
export async function verifyJournal(db: Db, placeId: string): Promise<JournalCheck> {
  let expected = 1;
  let prev = JOURNAL_GENESIS;
  for (;;) {
    const rows = await db
      .selectFrom('till_journal')
      .selectAll()
      .where('place_id', '=', placeId)
      .where('position', '>=', expected)
      .orderBy('position')
      .limit(PAGE)
      .execute();
    for (const r of rows) {
      const position = Number(r.position);
      if (position !== expected)
        return { ok: false, lines: expected - 1, problem: { position: expected, reason: 'position' } };
      if (r.prev_hash !== prev) return { ok: false, lines: expected - 1, problem: { position, reason: 'prev-hash' } };
      const line: Omit<JournalLine, 'hash'> = {
        placeId: r.place_id,
        position,
        createdAt: new Date(r.created_at),
        prevHash: r.prev_hash,
        saleId: r.sale_id,
        kind: r.kind,
        pointId: r.point_id,
        deviceId: r.device_id,
        cashierPersonId: r.cashier_person_id,
        articleId: r.article_id,
        articleName: r.article_name,
        articleKind: r.article_kind,
        categoryName: r.category_name,
        quantity: r.quantity === null ? null : Number(r.quantity),
        unitPriceCents: r.unit_price_cents === null ? null : Number(r.unit_price_cents),
        vatRate: r.vat_rate === null ? null : Number(r.vat_rate),
        amountCents: Number(r.amount_cents),
        paymentMethod: r.payment_method,
        currencyCode: r.currency_code,
        transferId: r.transfer_id,
        businessDay: r.business_day,
        soldAt: r.sold_at ? new Date(r.sold_at) : null,
        lateFromDay: r.late_from_day,
      };
      if (journalHash(line) !== r.hash)
        return { ok: false, lines: expected - 1, problem: { position, reason: 'hash' } };
      prev = r.hash;
      expected += 1;
    }
    if (rows.length < PAGE) break;
  }
  const head = await db
    .selectFrom('till_journal_heads')
    .select(['position', 'hash'])
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  const last = expected - 1;
  if ((head ? Number(head.position) : 0) !== last || (head ? head.hash : JOURNAL_GENESIS) !== prev)
    return { ok: false, lines: last, problem: { position: last, reason: 'head' } };
  return { ok: true, lines: last, problem: null };
}
