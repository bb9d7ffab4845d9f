import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { roleOf } from '../access/permissions.ts';
import { getPerson, type Person } from '../accounts/index.ts';
import { notFound } from '../shared/errors.ts';
import { normaliseUid } from '../shared/tillRules.js';
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

/** A QR token: 16 to 128 characters of [A-Za-z0-9_-] (printed on the card, stored only as its SHA-256). */
export const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;

// A card UID: one rule for the server and the till in the browser (src/shared/tillRules.js).
export { normaliseUid };

/** SHA-256 (lower-case hex) of a QR token: what the database keeps. */
export function hashQrToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * A UUID derived from its parts (SHA-256, version 5 bits, RFC 4122 variant): the same parts always
 * give the same id, so a retried operation reuses its ledger transfer ids and cannot apply twice.
 */
export function derivedUuid(...parts: string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest().subarray(0, 16);
  bytes[6] = 0x50 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CARD_COLUMNS = ['id', 'uid', 'number', 'status', 'person_id'] as const;
type CardRow = { id: string; uid: string; number: string; status: CardStatus; person_id: string | null };
const toCard = (row: CardRow): Card => ({
  id: row.id,
  uid: row.uid,
  number: row.number,
  status: row.status,
  personId: row.person_id,
});

/** The card with this UID (as read by an NFC reader), or null. Not locked: a till re-reads it with lockCard. */
export async function findCardByUid(db: Db, uid: string): Promise<Card | null> {
  const normalised = normaliseUid(uid);
  if (!normalised) return null;
  const row = await db.selectFrom('cards').select(CARD_COLUMNS).where('uid', '=', normalised).executeTakeFirst();
  return row ? toCard(row) : null;
}

/** The card whose printed number this is, typed with or without spaces, in any case (the index `cards_number_compact`), or null. */
export async function findCardByNumber(db: Db, number: unknown): Promise<Card | null> {
  if (typeof number !== 'string') return null;
  const compact = number.replace(/\s+/g, '').toUpperCase();
  if (compact.length < 1 || compact.length > 40) return null;
  const row = await db
    .selectFrom('cards')
    .select(CARD_COLUMNS)
    .where(sql<string>`upper(replace(number, ' ', ''))`, '=', compact)
    .executeTakeFirst();
  return row ? toCard(row) : null;
}

/** The card whose printed QR token this is, or null (a malformed token is simply unknown). Looked up by hash only. */
export async function findCardByToken(db: Db, token: unknown): Promise<Card | null> {
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) return null;
  const row = await db
    .selectFrom('cards')
    .select(CARD_COLUMNS)
    .where('qr_token_sha256', '=', hashQrToken(token))
    .executeTakeFirst();
  return row ? toCard(row) : null;
}

export async function findCardById(db: Db, id: string): Promise<Card | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const row = await db.selectFrom('cards').select(CARD_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? toCard(row) : null;
}

/**
 * Locks the card's row (`SELECT … FOR UPDATE`) and returns it as committed now. THE LOCK ORDER of
 * everything that moves a card's money (docs/CARDS.md): the card row first, then the ledger (ids,
 * accounts in id order — appendTransfers). A till payment and a link/merge of the same
 * card both start here, so they queue instead of deadlocking, and whichever comes second sees the
 * first one's result: a payment after a merge spends from the person's wallet, a merge after a
 * payment moves what the payment left. Callers must use the returned card (status, personId), never
 * one read before the lock. Several cards in one transaction: lock them in id order.
 */
export async function lockCard(trx: Trx, cardId: string): Promise<Card> {
  const row = await trx
    .selectFrom('cards')
    .select(CARD_COLUMNS)
    .where('id', '=', cardId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('card');
  return toCard(row);
}

/**
 * Locks the cards with these ids in one statement, in id order (the lock order of several cards), and
 * returns them by id as committed now; an id with no card is missing from the map. The ledger calls it
 * for the card accounts a transfer request touches, before it locks any account (docs/CARDS.md).
 */
export async function lockCards(trx: Trx, ids: string[]): Promise<Map<string, Card>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('cards')
    .select(CARD_COLUMNS)
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.id, toCard(r)]));
}

/** Which of these cards are linked to a person (for `rezo ledger verify`: their own accounts must be empty). */
export async function linkedCardIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('cards')
    .select('id')
    .where('id', 'in', ids)
    .where('person_id', 'is not', null)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Locks the cards with these UIDs (normalised) in one statement, in id order (the lock order of
 * several cards: see lockCard), and returns them by UID as committed now; a UID with no card is
 * missing from the map. UIDs never change once imported, so finding by UID and locking are one step.
 */
export async function lockCardsByUid(trx: Trx, uids: string[]): Promise<Map<string, Card>> {
  if (uids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('cards')
    .select(CARD_COLUMNS)
    .where('uid', 'in', uids)
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.uid, toCard(r)]));
}

/** Whose ledger accounts a card spends from: its own while anonymous, its holder's wallet once linked. */
export interface SpendingOwner {
  ownerKind: 'card' | 'person';
  ownerRef: string;
}

/**
 * Which owner a card spends from. Call it with the card returned by lockCard, in the same
 * transaction: the link may have happened a moment ago.
 */
export async function spendingAccountsOf(_trx: Trx, card: Card): Promise<SpendingOwner> {
  return walletOwnerOf(card);
}

/** Whose wallet a (locked) card spends from: its linked holder's, or the card's own accounts when anonymous. */
export function walletOwnerOf(card: Card): SpendingOwner {
  return card.personId ? { ownerKind: 'person', ownerRef: card.personId } : { ownerKind: 'card', ownerRef: card.id };
}

/**
 * The staff member a card opens a till for at a venue: the card is active and linked to a person
 * who has the cashier or admin role there. Otherwise null.
 */
export async function staffOf(trx: Db, card: Card, placeId: string): Promise<Person | null> {
  if (card.status !== 'active' || !card.personId) return null;
  const role = await roleOf(trx, card.personId, placeId);
  if (role !== 'cashier' && role !== 'admin') return null;
  return getPerson(trx, card.personId);
}

/**
 * SQL (a boolean) for "this staff card is still active and still linked to this person": a till
 * session names the card that opened it, and every till request checks it (docs/TILL.md, "Till
 * session"), so blocking a staff card ends its sessions at once. A fragment, so the till reads it in
 * the statement that checks the cashier's role (no extra round trip); the cards module keeps its table.
 */
export function staffCardHeld(cardId: string, personId: string) {
  return sql<boolean>`exists (select 1 from cards sc where sc.id = ${cardId}::uuid and sc.status = 'active' and sc.person_id = ${personId}::uuid)`;
}

/** The same check as staffCardHeld, on its own. */
export async function isStaffCardHeld(db: Db, cardId: string, personId: string): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`select ${staffCardHeld(cardId, personId)} as held`.execute(db);
  return Boolean(rows[0]?.held);
}

/** A card as its holder and the pages see it. */
export interface CardView extends Card {
  batchName: string;
  linkedAt: Date | null;
  blockedAt: Date | null;
  holderName: string | null;
}

const VIEW_COLUMNS = [
  'c.id',
  'c.uid',
  'c.number',
  'c.status',
  'c.person_id',
  'c.linked_at',
  'c.blocked_at',
  'b.name as batch_name',
  'p.name as holder_name',
] as const;

function viewQuery(db: Db) {
  return db
    .selectFrom('cards as c')
    .innerJoin('card_batches as b', 'b.id', 'c.batch_id')
    .leftJoin('people as p', 'p.id', 'c.person_id')
    .select(VIEW_COLUMNS);
}

type ViewRow = CardRow & {
  linked_at: Date | null;
  blocked_at: Date | null;
  batch_name: string;
  holder_name: string | null;
};
const toView = (r: ViewRow): CardView => ({
  ...toCard(r),
  batchName: r.batch_name,
  linkedAt: r.linked_at,
  blockedAt: r.blocked_at,
  holderName: r.holder_name,
});

/** The cards linked to a person, newest link first. */
export async function cardsOfPerson(db: Db, personId: string): Promise<CardView[]> {
  return (await viewQuery(db).where('c.person_id', '=', personId).orderBy('c.linked_at', 'desc').execute()).map(toView);
}

/** Cards by their printed number (case and spaces ignored) or their UID: what a cashier types or reads. */
export async function searchCards(db: Db, query: string): Promise<CardView[]> {
  const q = query.trim();
  if (!q || q.length > 60) return [];
  const uid = normaliseUid(q);
  const compact = q.replace(/\s+/g, '').toUpperCase();
  const rows = await viewQuery(db)
    .where((eb) =>
      eb.or([
        eb(sql<string>`upper(replace(c.number, ' ', ''))`, '=', compact),
        ...(uid ? [eb('c.uid', '=', uid)] : []),
      ]),
    )
    .limit(10)
    .execute();
  return rows.map(toView);
}

export async function cardView(db: Db, id: string): Promise<CardView | null> {
  const row = await viewQuery(db).where('c.id', '=', id).executeTakeFirst();
  return row ? toView(row) : null;
}

/** The 50 cards blocked last, for the operator's page. */
export async function recentlyBlockedCards(db: Db) {
  return db
    .selectFrom('cards')
    .select(['id', 'number', 'blocked_at', 'block_reason'])
    .where('status', '=', 'blocked')
    .orderBy('blocked_at', 'desc')
    .limit(50)
    .execute();
}
