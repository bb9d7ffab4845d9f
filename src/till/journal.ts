import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { canonicalJson, sha256Hex } from '../ledger/index.ts';
import type { Insertable } from 'kysely';
import type { ArticleKind, PaymentMethod, TillSalesTable } from './tables.ts';

/** The hash before a venue's first journal line. */
export const JOURNAL_GENESIS = '0'.repeat(64);

/** One line to append: what the venue's sales journal freezes (docs/TILL.md, "Sales journal"). */
export interface JournalLineInput {
  saleId: string;
  kind: 'item' | 'payment';
  pointId: string;
  deviceId: string;
  cashierPersonId: string;
  articleId?: string | null;
  articleName?: string | null;
  articleKind?: ArticleKind | null;
  categoryName?: string | null;
  quantity?: number | null;
  unitPriceCents?: number | null;
  vatRate?: number | null;
  /** Signed minor units: + money in for the venue, − money out. */
  amountCents: number;
  paymentMethod?: PaymentMethod | null;
  currencyCode?: string | null;
  transferId?: string | null;
  /** 'YYYY-MM-DD', the venue's business day of the sale (the day it is booked on). */
  businessDay: string;
  /** A sale queued offline: its device-signed time of sale. */
  soldAt?: Date | null;
  /** Booked late (docs/TILL.md, "Offline sales"): the closed business day it was sold on. */
  lateFromDay?: string | null;
}

export interface JournalLine extends Required<JournalLineInput> {
  placeId: string;
  position: number;
  createdAt: Date;
  prevHash: string;
  hash: string;
}

/** Canonical encoding of a journal line (version 1): the hash covers every frozen field, its position and the previous hash. */
export function journalHash(line: Omit<JournalLine, 'hash'>): string {
  const { hash: _ignored, soldAt, lateFromDay, ...fields } = line as JournalLine;
  // The marks of an offline sale are covered only when set: every line written before them (and every
  // live sale's) hashes exactly as it did.
  return sha256Hex(
    `rezo-journal-v1|${canonicalJson({
      ...fields,
      createdAt: line.createdAt.toISOString(),
      ...(soldAt ? { soldAt: soldAt.toISOString() } : {}),
      ...(lateFromDay ? { lateFromDay } : {}),
    })}`,
  );
}

/** Where a venue's journal stands: its last line's position and hash. */
export interface JournalHead {
  position: number;
  hash: string;
}

/**
 * Locks the venue's journal head row until the end of the transaction and returns it (made on first
 * use). `appendJournal` and the closures lock the same row, so a closure and the sales of its venue
 * are serialised and two tills of a venue cannot fork the chain.
 */
export async function lockJournalHead(trx: Trx, placeId: string): Promise<JournalHead> {
  // One round trip: an upsert locks the row it touches.
  const { rows } = await sql<{
    position: number;
    hash: string;
  }>`insert into till_journal_heads as h (place_id) values (${placeId})
    on conflict (place_id) do update set position = h.position returning h.position, h.hash`.execute(trx);
  return { position: Number(rows[0]!.position), hash: rows[0]!.hash };
}

/**
 * Appends lines to the venue's sales journal, in order, inside the caller's transaction. The venue's
 * head row is locked until commit; call it last in the sale's transaction (after the ledger), so the
 * lock is held the shortest. `head`: the head the caller already locked (assertDayOpen), not read
 * again. `sale`: the sale's row, written in the same statement as its lines (one round trip).
 */
export async function appendJournal(
  trx: Trx,
  placeId: string,
  lines: JournalLineInput[],
  at = new Date(),
  options: { head?: JournalHead; sale?: Insertable<TillSalesTable> } = {},
): Promise<JournalLine[]> {
  if (lines.length === 0) {
    if (options.sale) await trx.insertInto('till_sales').values(options.sale).execute();
    return [];
  }
  const head = options.head ?? (await lockJournalHead(trx, placeId));
  let position = head.position;
  let prevHash = head.hash;
  const out: JournalLine[] = [];
  for (const input of lines) {
    position += 1;
    const line: Omit<JournalLine, 'hash'> = {
      placeId,
      position,
      createdAt: at,
      prevHash,
      saleId: input.saleId,
      kind: input.kind,
      pointId: input.pointId,
      deviceId: input.deviceId,
      cashierPersonId: input.cashierPersonId,
      articleId: input.articleId ?? null,
      articleName: input.articleName ?? null,
      articleKind: input.articleKind ?? null,
      categoryName: input.categoryName ?? null,
      quantity: input.quantity ?? null,
      unitPriceCents: input.unitPriceCents ?? null,
      vatRate: input.vatRate ?? null,
      amountCents: input.amountCents,
      paymentMethod: input.paymentMethod ?? null,
      currencyCode: input.currencyCode ?? null,
      transferId: input.transferId ?? null,
      businessDay: input.businessDay,
      soldAt: input.soldAt ?? null,
      lateFromDay: input.lateFromDay ?? null,
    };
    const hash = journalHash(line);
    out.push({ ...line, hash } as JournalLine);
    prevHash = hash;
  }
  const values = out.map((l) => ({
    place_id: l.placeId,
    position: l.position,
    sale_id: l.saleId,
    kind: l.kind,
    point_id: l.pointId,
    device_id: l.deviceId,
    cashier_person_id: l.cashierPersonId,
    article_id: l.articleId,
    article_name: l.articleName,
    article_kind: l.articleKind,
    category_name: l.categoryName,
    quantity: l.quantity,
    unit_price_cents: l.unitPriceCents,
    vat_rate: l.vatRate,
    amount_cents: l.amountCents,
    payment_method: l.paymentMethod,
    currency_code: l.currencyCode,
    transfer_id: l.transferId,
    business_day: l.businessDay,
    sold_at: l.soldAt,
    late_from_day: l.lateFromDay,
    created_at: l.createdAt,
    prev_hash: l.prevHash,
    hash: l.hash,
  }));
  // The sale, its lines and the head's move in one statement: fewer round trips while the venue's
  // head is locked (the lines' foreign key to the sale is checked at the end of the statement).
  const { sale } = options;
  await trx
    .with('sale', (db) =>
      sale ? db.insertInto('till_sales').values(sale).returning('id') : db.selectNoFrom(sql<null>`null`.as('id')),
    )
    .with('lines', (db) => db.insertInto('till_journal').values(values).returning('position'))
    .updateTable('till_journal_heads')
    .set({ position, hash: prevHash })
    .where('place_id', '=', placeId)
    .execute();
  return out;
}
