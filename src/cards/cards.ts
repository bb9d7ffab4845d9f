import type { Db } from '../db/database.ts';
import type { CardStatus } from './tables.ts';

/** A card as the till and other modules see it. */
export interface Card {
  id: string;
  uid: string;
  number: string;
  status: CardStatus;
  /** The person whose wallet the card spends from; null = anonymous (the card's own ledger accounts). */
  personId: string | null;
}

/** Upper-case hex without separators (`04:a2:…`, `04 A2 …` and `04a2…` are the same UID); null when it is not a 4, 7 or 10-byte UID. */
export function normaliseUid(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const hex = raw.replace(/[\s:-]/g, '').toUpperCase();
  return /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(hex) ? hex : null;
}

/** The card with this UID (as read by an NFC reader), or null. */
export async function findCardByUid(db: Db, uid: string): Promise<Card | null> {
  const normalised = normaliseUid(uid);
  if (!normalised) return null;
  const row = await db.selectFrom('cards').select(['id', 'uid', 'number', 'status', 'person_id']).where('uid', '=', normalised).executeTakeFirst();
  return row ? { id: row.id, uid: row.uid, number: row.number, status: row.status, personId: row.person_id } : null;
}
