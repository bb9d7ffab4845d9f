import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { treeHash } from '../tlog/merkle.ts';
import { logOrigin, signLogCheckpoint } from './identity.ts';
import { logLeaves } from './logTree.ts';

export interface LogCheckpoint {
  currencyCode: string;
  origin: string;
  size: number;
  rootHex: string;
  note: string;
}

/**
 * Signs a C2SP checkpoint (origin, size, root) for each currency whose log grew since its latest one
 * (docs/FEDERATION.md, "Checkpoints"), after a sealing round. At most one per `minIntervalMs` per
 * currency (0: whenever it grew). Two nodes processes signing at once insert one row per (currency,
 * size) — the same tree, so the same root; the second is ignored.
 */
export async function makeLogCheckpoints(
  db: Db,
  baseUrl: string,
  options: { now?: Date; minIntervalMs?: number } = {},
): Promise<LogCheckpoint[]> {
  const now = options.now ?? new Date();
  const minIntervalMs = options.minIntervalMs ?? 0;
  const { rows } = await sql<{
    id: string;
    code: string;
    blocks: string | null;
    size: string | null;
    signed_at: Date | null;
  }>`
    select c.id, c.code,
      (select max(number)::text from ledger_blocks where currency_id = c.id) as blocks,
      (select max(size)::text from ledger_log_checkpoints where currency_id = c.id) as size,
      (select max(signed_at) from ledger_log_checkpoints where currency_id = c.id) as signed_at
    from ledger_currencies c order by c.code`.execute(db);
  const made: LogCheckpoint[] = [];
  for (const r of rows) {
    const blocks = Number(r.blocks ?? 0);
    if (blocks <= Number(r.size ?? 0)) continue;
    if (r.signed_at && now.getTime() - new Date(r.signed_at).getTime() < minIntervalMs) continue;
    const leaves = await logLeaves(db, r.id, blocks);
    const rootHash = treeHash(leaves);
    const origin = logOrigin(baseUrl, r.code);
    const note = await signLogCheckpoint(db, origin, blocks, rootHash);
    const rootHex = Buffer.from(rootHash).toString('hex');
    const inserted = await db
      .insertInto('ledger_log_checkpoints')
      .values({ currency_id: r.id, size: blocks, root_hash: rootHex, note, signed_at: now })
      .onConflict((oc) => oc.columns(['currency_id', 'size']).doNothing())
      .returning('size')
      .executeTakeFirst();
    if (inserted) made.push({ currencyCode: r.code, origin, size: blocks, rootHex, note });
  }
  return made;
}
