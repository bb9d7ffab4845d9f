/** Helpers for the tests of the cards module (not loaded by the node). */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { csvLine } from '../shared/csv.ts';
import { findCardByUid, type Card } from './cards.ts';
import { importCards } from './importCards.ts';

export interface TestCard extends Card {
  token: string;
}

let counter = 0;

/** A fresh, unique card line: 7-byte UID, number, token. */
export function cardLine(): { uid: string; number: string; token: string } {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(3).toString('hex')}`;
  return {
    uid: `04${randomBytes(6).toString('hex').toUpperCase()}`,
    number: `T-${n}`.toUpperCase(),
    token: `t${randomBytes(18).toString('base64url')}`,
  };
}

export function csvOf(
  lines: { uid: string; number: string; token: string }[],
  header = ['uid', 'number', 'qr_token'],
): string {
  return csvLine(header) + lines.map((l) => csvLine([l.uid, l.number, l.token])).join('');
}

/** Imports `count` new cards (as the node) and returns them with their tokens. */
export async function makeCards(db: Db, count: number): Promise<TestCard[]> {
  const lines = Array.from({ length: count }, cardLine);
  const report = await importCards(db, SYSTEM, { name: `Batch ${counter}`, csv: csvOf(lines), apply: true });
  if (!report.imported) throw new Error(`test cards not imported: ${JSON.stringify(report.rejected)}`);
  return Promise.all(lines.map(async (l) => ({ ...(await findCardByUid(db, l.uid))!, token: l.token })));
}

/** A new active card linked to `personId`: a staff card, as a till session names (docs/TILL.md). */
export async function makeStaffCard(db: Db, personId: string): Promise<TestCard> {
  const [card] = await makeCards(db, 1);
  await db
    .updateTable('cards')
    .set({ person_id: personId, linked_at: new Date() })
    .where('id', '=', card!.id)
    .execute();
  return { ...card!, personId };
}
