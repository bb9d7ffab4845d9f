import type { Db } from '../db/database.ts';
import { inTransaction } from '../db/database.ts';
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
  position: number;
  headHash: string;
  supply: number;
  signedAt: Date;
  signature: string;
}

/**
 * Signs a checkpoint (currency, position, head hash, supply, time) for each currency that is due.
 * Called after commits (cheap when nothing is due: one read) and by a timer in the node. `force`
 * signs every currency that advanced since its last checkpoint (demo, tests, CLI).
 */
export async function signCheckpoints(db: Db, policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY, options: { force?: boolean; now?: Date } = {}): Promise<Checkpoint[]> {
  const now = options.now ?? new Date();
  const candidates = await db
    .selectFrom('ledger_chain_heads as h')
    .innerJoin('ledger_currencies as c', 'c.id', 'h.currency_id')
    .leftJoin(
      (eb) => eb.selectFrom('ledger_checkpoints').select((e) => ['currency_id', e.fn.max('position').as('position'), e.fn.max('signed_at').as('signed_at')]).groupBy('currency_id').as('k'),
      (join) => join.onRef('k.currency_id', '=', 'h.currency_id'),
    )
    .select(['h.currency_id', 'c.code', 'h.position', 'k.position as last_position', 'k.signed_at as last_signed_at'])
    .where('h.position', '>', 0)
    .execute();
  const due = candidates.filter((c) => {
    const last = c.last_position === null ? 0 : Number(c.last_position);
    if (c.position <= last) return false;
    if (options.force || c.position - last >= policy.everyTransfers) return true;
    return !c.last_signed_at || now.getTime() - new Date(c.last_signed_at).getTime() >= policy.everyMs;
  });
  if (due.length === 0) return [];
  const key = await loadNodeKey(db);
  const signed: Checkpoint[] = [];
  for (const c of due) {
    const checkpoint = await inTransaction(db, async (trx) => {
      // The head locked: no transfer of this currency commits between reading it and the supply.
      const head = await trx.selectFrom('ledger_chain_heads').select(['position', 'hash']).where('currency_id', '=', c.currency_id).forUpdate().executeTakeFirstOrThrow();
      const issuance = await trx.selectFrom('ledger_accounts').select('balance')
        .where('currency_id', '=', c.currency_id).where('owner_kind', '=', 'system').where('owner_ref', '=', 'issuance').executeTakeFirst();
      const fields = { currencyCode: c.code, position: head.position, headHash: head.hash, supply: -(issuance?.balance ?? 0), signedAt: new Date() };
      const signature = signText(key.privateKey, checkpointMessage(fields));
      const inserted = await trx.insertInto('ledger_checkpoints')
        .values({ currency_id: c.currency_id, position: fields.position, head_hash: fields.headHash, supply: fields.supply, signed_at: fields.signedAt, signature })
        .onConflict((oc) => oc.columns(['currency_id', 'position']).doNothing())
        .returning('position')
        .executeTakeFirst();
      return inserted ? { ...fields, signature } : null;
    });
    if (checkpoint) signed.push(checkpoint);
  }
  return signed;
}

/** The signed checkpoints, newest first (for GET /api/v1/ledger/checkpoints and /transparency). */
export async function listCheckpoints(db: Db, options: { currencyCode?: string; limit?: number } = {}): Promise<Checkpoint[]> {
  let q = db
    .selectFrom('ledger_checkpoints as k')
    .innerJoin('ledger_currencies as c', 'c.id', 'k.currency_id')
    .select(['c.code', 'k.position', 'k.head_hash', 'k.supply', 'k.signed_at', 'k.signature'])
    .orderBy('k.signed_at', 'desc')
    .orderBy('k.position', 'desc')
    .limit(Math.min(options.limit ?? 100, 500));
  if (options.currencyCode) q = q.where('c.code', '=', options.currencyCode);
  return (await q.execute()).map((r) => ({ currencyCode: r.code, position: r.position, headHash: r.head_hash, supply: r.supply, signedAt: r.signed_at, signature: r.signature }));
}
