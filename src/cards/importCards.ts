import { sql } from 'kysely';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors, forbidden } from '../shared/errors.ts';
import { parseCsv } from '../shared/csv.ts';
import { uuidv7 } from '../shared/ids.ts';
import { TOKEN_RE, hashQrToken, normaliseUid } from './cards.ts';

export const CARD_IMPORT_MAX_ROWS = 10_000;
const COLUMNS = ['uid', 'number', 'qr_token'] as const;

/** Why a row is refused: catalogue key `cards.import.<reason>`. */
export type RejectReason =
  | 'missing'
  | 'uid'
  | 'number'
  | 'token-short'
  | 'token-chars'
  | 'duplicate-uid'
  | 'duplicate-number'
  | 'duplicate-token'
  | 'exists-uid'
  | 'exists-number'
  | 'exists-token';

export interface CardImportReport {
  /** Rows that would be (or were) imported. */
  accepted: number;
  rejected: { line: number; reason: RejectReason; params?: Record<string, string | number> }[];
  /** True only when the batch was written (apply, and no row rejected). */
  imported: boolean;
  batchId: string | null;
}

interface Row {
  line: number;
  uid: string;
  number: string;
  tokenHash: string;
}

/** Operators (and the node itself: CLI, demo) import cards. */
function requireOperator(actor: Actor) {
  if (actor.kind === 'system') return;
  if (actor.kind === 'person' && actor.isOperator) return;
  throw forbidden();
}

/**
 * Imports a batch of cards from a CSV (header `uid,number,qr_token`, any order, `,` or `;`). All or
 * nothing: every row is checked (UID of 4, 7 or 10 bytes in hex; a number; a token of ≥ 16
 * characters of [A-Za-z0-9_-]; no UID, number or token twice in the file or already in the
 * database), and the batch is written only when no row is refused. `apply: false` is the preview.
 * Only the SHA-256 of each QR token is stored. Imports are serialised (an advisory lock), so the
 * database checks cannot be raced by a second import; the unique indexes are the backstop.
 */
export async function importCards(
  db: Db,
  actor: Actor,
  input: { name: unknown; csv: unknown; apply: boolean },
): Promise<CardImportReport> {
  requireOperator(actor);
  const errors = new FieldErrors();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) errors.add('name', 'required');
  else if (name.length > 120) errors.add('name', 'too-long', { max: 120 });
  const csv = typeof input.csv === 'string' ? input.csv : '';
  let rows: string[][] = [];
  if (!csv.trim()) errors.add('file', 'required');
  else {
    try {
      rows = parseCsv(csv, CARD_IMPORT_MAX_ROWS + 1);
    } catch {
      errors.add('file', 'csv-too-long', { max: CARD_IMPORT_MAX_ROWS });
    }
  }
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  if (rows.length > 0 && COLUMNS.some((c) => !header.includes(c))) errors.add('file', 'cards.csv-header');
  else if (rows.length === 1) errors.add('file', 'cards.csv-empty');
  errors.throwIfAny();

  const col = (c: (typeof COLUMNS)[number]) => header.indexOf(c);
  const report: CardImportReport = { accepted: 0, rejected: [], imported: false, batchId: null };
  const reject = (line: number, reason: RejectReason, params?: Record<string, string | number>) =>
    report.rejected.push({ line, reason, ...(params ? { params } : {}) });
  const good: Row[] = [];
  const seen = { uid: new Map<string, number>(), number: new Map<string, number>(), token: new Map<string, number>() };
  rows.slice(1).forEach((cells, i) => {
    const line = i + 2;
    const cell = (c: (typeof COLUMNS)[number]) => (cells[col(c)] ?? '').trim();
    const rawUid = cell('uid');
    const number = cell('number');
    const token = cell('qr_token');
    const absent = COLUMNS.filter((c) => !cell(c));
    if (absent.length > 0) return reject(line, 'missing', { column: absent.join(', ') });
    const uid = normaliseUid(rawUid);
    if (!uid) return reject(line, 'uid', { value: rawUid.slice(0, 40) });
    if (number.length > 40 || [...number].some((ch) => ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127))
      return reject(line, 'number', { value: number.slice(0, 40) });
    if (!/^[A-Za-z0-9_-]*$/.test(token)) return reject(line, 'token-chars');
    if (!TOKEN_RE.test(token)) return reject(line, 'token-short', { min: 16 });
    const numberKey = number.replace(/\s+/g, '').toUpperCase();
    const tokenHash = hashQrToken(token);
    if (seen.uid.has(uid)) return reject(line, 'duplicate-uid', { other: seen.uid.get(uid)! });
    if (seen.number.has(numberKey)) return reject(line, 'duplicate-number', { other: seen.number.get(numberKey)! });
    if (seen.token.has(tokenHash)) return reject(line, 'duplicate-token', { other: seen.token.get(tokenHash)! });
    seen.uid.set(uid, line);
    seen.number.set(numberKey, line);
    seen.token.set(tokenHash, line);
    good.push({ line, uid, number, tokenHash });
  });

  return inTransaction(db, async (trx) => {
    // One import at a time: the checks against the database below stay true until commit.
    await takeLocks(trx, { space: 'cardImport' });
    await rejectExisting(trx, good, reject);
    const refused = new Set(report.rejected.map((r) => r.line));
    report.rejected.sort((a, b) => a.line - b.line);
    const accepted = good.filter((r) => !refused.has(r.line));
    report.accepted = accepted.length;
    if (!input.apply || report.rejected.length > 0) return report;

    const batchId = uuidv7();
    await trx
      .insertInto('card_batches')
      .values({
        id: batchId,
        name,
        card_count: accepted.length,
        imported_by: actor.kind === 'person' ? actor.personId : null,
      })
      .execute();
    for (let i = 0; i < accepted.length; i += 500) {
      await trx
        .insertInto('cards')
        .values(
          accepted.slice(i, i + 500).map((r) => ({
            id: uuidv7(),
            batch_id: batchId,
            uid: r.uid,
            number: r.number,
            qr_token_sha256: r.tokenHash,
          })),
        )
        .execute();
    }
    await audit(trx, actor, { action: 'cards.imported', subjectId: batchId, data: { name, cards: accepted.length } });
    report.imported = true;
    report.batchId = batchId;
    return report;
  });
}

/** Rows whose UID, number or token is already in the database, by chunks (bounded statements). */
async function rejectExisting(
  trx: Trx,
  rows: Row[],
  reject: (line: number, reason: RejectReason) => void,
): Promise<void> {
  const refused = new Set<number>();
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const byUid = new Map(chunk.map((r) => [r.uid, r]));
    const byNumber = new Map(chunk.map((r) => [r.number.replace(/\s+/g, '').toUpperCase(), r]));
    const byToken = new Map(chunk.map((r) => [r.tokenHash, r]));
    const found = await trx
      .selectFrom('cards')
      .select(['uid', 'qr_token_sha256', sql<string>`upper(replace(number, ' ', ''))`.as('number_key')])
      .where((eb) =>
        eb.or([
          eb('uid', 'in', [...byUid.keys()]),
          eb(sql<string>`upper(replace(number, ' ', ''))`, 'in', [...byNumber.keys()]),
          eb('qr_token_sha256', 'in', [...byToken.keys()]),
        ]),
      )
      .execute();
    for (const f of found) {
      const hits: [Row | undefined, RejectReason][] = [
        [byUid.get(f.uid), 'exists-uid'],
        [byNumber.get(f.number_key), 'exists-number'],
        [byToken.get(f.qr_token_sha256), 'exists-token'],
      ];
      for (const [row, reason] of hits) {
        if (row && !refused.has(row.line)) {
          refused.add(row.line);
          reject(row.line, reason);
        }
      }
    }
  }
}

/** Batches with their counts by status, newest first (the operator's page). */
export async function listCardBatches(
  db: Db,
  actor: Actor,
): Promise<
  { id: string; name: string; createdAt: Date; total: number; active: number; blocked: number; linked: number }[]
> {
  requireOperator(actor);
  const rows = await db
    .selectFrom('card_batches as b')
    .leftJoin('cards as c', 'c.batch_id', 'b.id')
    .select(['b.id', 'b.name', 'b.created_at'])
    .select(sql<number>`count(c.id)::int`.as('total'))
    .select(sql<number>`count(c.id) filter (where c.status = 'active')::int`.as('active'))
    .select(sql<number>`count(c.id) filter (where c.status = 'blocked')::int`.as('blocked'))
    .select(sql<number>`count(c.id) filter (where c.person_id is not null)::int`.as('linked'))
    .groupBy(['b.id', 'b.name', 'b.created_at'])
    .orderBy('b.created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    total: r.total,
    active: r.active,
    blocked: r.blocked,
    linked: r.linked,
  }));
}
