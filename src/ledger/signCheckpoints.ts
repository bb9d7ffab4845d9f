import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { checkpointMessage } from './chain.ts';
import { loadNodeKey, signText } from './nodeKey.ts';

export interface CheckpointPolicy {
  /** Sign when the chain advanced by at least this many transfers since the last checkpoint… */
  everyTransfers: number;
  /** …or when the last checkpoint is older than this and the chain advanced at all. */
  everyMs: number;
}
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyTransfers: 100, everyMs: 60_000 };

export interface Checkpoint {
  currencyCode: string;
  /** The block signed; null for legacy checkpoints (a position of the per-transfer chain, before migration 0014). */
  block: number | null;
  /** Transfers of the currency sealed up to this checkpoint (the block's last position). */
  position: number;
  headHash: string;
  supply: number;
  signedAt: Date;
  signature: string;
}

/**
 * Signs a checkpoint of the latest block (currency, block number, last position, block hash, supply,
 * time) for each currency that is due. A block is immutable and carries the supply after its own
 * transfers, so no lock is needed: transfers committed but not yet sealed are not in the signed
 * supply, exactly as they are not in the signed hash. Called by the sealer after each block, after
 * commits by the API (cheap when nothing is due: one read) and by a timer. `force` signs every
 * currency whose chain advanced since its last checkpoint (demo, tests, CLI).
 */
export async function signCheckpoints(
  db: Db,
  policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
  options: { force?: boolean; now?: Date } = {},
): Promise<Checkpoint[]> {
  const now = options.now ?? new Date();
  // Numbers read as text, then checked one currency at a time: a block whose supply cannot be read
  // exactly (a database that went past the bound before migration 0019) skips its own currency only,
  // never the checkpoints of the others (the sealer logs that currency as failing).
  const rows = (
    await sql<{
      currency_id: string;
      code: string;
      number: string;
      hash: string;
      last_position: string;
      supply: string;
      last_checkpoint: string | null;
      last_signed_at: Date | null;
    }>`
    select b.currency_id, c.code, b.number::text as number, b.hash, b.last_position::text as last_position,
      b.supply::text as supply, k.position::text as last_checkpoint, k.signed_at as last_signed_at
    from ledger_currencies c
    join lateral (select * from ledger_blocks where currency_id = c.id order by number desc limit 1) b on true
    left join lateral (select position, signed_at from ledger_checkpoints where currency_id = c.id order by position desc limit 1) k on true`.execute(
      db,
    )
  ).rows;
  const exact = (text: string | null) => (text === null ? null : Number(text));
  const candidates = rows
    .map((r) => ({
      ...r,
      number: exact(r.number)!,
      last_position: exact(r.last_position)!,
      supply: exact(r.supply)!,
      last_checkpoint: exact(r.last_checkpoint),
    }))
    .filter((r) => [r.number, r.last_position, r.supply, r.last_checkpoint ?? 0].every(Number.isSafeInteger));
  const due = candidates.filter((c) => {
    const last = c.last_checkpoint === null ? 0 : Number(c.last_checkpoint);
    if (c.last_position <= last) return false;
    if (options.force || c.last_position - last >= policy.everyTransfers) return true;
    return !c.last_signed_at || now.getTime() - new Date(c.last_signed_at).getTime() >= policy.everyMs;
  });
  if (due.length === 0) return [];
  const key = await loadNodeKey(db);
  const signed: Checkpoint[] = [];
  for (const c of due) {
    const fields = {
      currencyCode: c.code,
      block: c.number,
      position: c.last_position,
      headHash: c.hash,
      supply: c.supply,
      signedAt: new Date(),
    };
    const signature = signText(key.privateKey, checkpointMessage(fields));
    const inserted = await db
      .insertInto('ledger_checkpoints')
      .values({
        currency_id: c.currency_id,
        block_number: fields.block,
        position: fields.position,
        head_hash: fields.headHash,
        supply: fields.supply,
        signed_at: fields.signedAt,
        signature,
      })
      .onConflict((oc) => oc.columns(['currency_id', 'position']).doNothing())
      .returning('position')
      .executeTakeFirst();
    if (inserted) signed.push({ ...fields, signature });
  }
  return signed;
}

/** The signed checkpoints, newest first (for GET /api/v1/ledger/checkpoints and /transparency). */
export async function listCheckpoints(
  db: Db,
  options: { currencyCode?: string; limit?: number } = {},
): Promise<Checkpoint[]> {
  let q = db
    .selectFrom('ledger_checkpoints as k')
    .innerJoin('ledger_currencies as c', 'c.id', 'k.currency_id')
    .select(['c.code', 'k.block_number', 'k.position', 'k.head_hash', 'k.supply', 'k.signed_at', 'k.signature'])
    .orderBy('k.signed_at', 'desc')
    .orderBy('k.position', 'desc')
    .limit(Math.min(options.limit ?? 100, 500));
  if (options.currencyCode) q = q.where('c.code', '=', options.currencyCode);
  return (await q.execute()).map((r) => ({
    currencyCode: r.code,
    block: r.block_number,
    position: r.position,
    headHash: r.head_hash,
    supply: r.supply,
    signedAt: r.signed_at,
    signature: r.signature,
  }));
}
