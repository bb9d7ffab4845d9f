import type { Db } from '../../db/database.ts';
import { uuidv7 } from '../../shared/ids.ts';
import { canonicalJson, sha256Hex } from '../chain.ts';
import { verifierFromKey } from '../tlog/cosignature.ts';
import { checkEquivocation, type Equivocation } from '../tlog/equivocation.ts';

/** Bounds on evidence from anyone: two notes (≤ 16 KiB each) and a path of at most 128 hashes. */
export const MAX_EVIDENCE_BYTES = 48 * 1024;

/** Reads evidence sent as JSON; null when it is not shaped like an Equivocation. */
export function parseEquivocation(value: unknown): Equivocation | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const notes = v.checkpoints;
  if (typeof v.origin !== 'string' || !Array.isArray(notes) || notes.length !== 2) return null;
  if (!notes.every((n) => typeof n === 'string')) return null;
  const checkpoints = notes as [string, string];
  if (v.kind === 'fork') return { kind: 'fork', origin: v.origin, checkpoints };
  if (v.kind !== 'inconsistent' || !Array.isArray(v.path) || v.path.length > 128) return null;
  if (!v.path.every((p) => typeof p === 'string')) return null;
  return { kind: 'inconsistent', origin: v.origin, checkpoints, path: v.path as string[] };
}

/**
 * Keeps evidence of equivocation against a pinned log (docs/FEDERATION.md, "Equivocation"), found here
 * or received from a peer: only if `checkEquivocation` passes with the key THIS node pinned for the
 * log. The log is then marked equivocated (nothing more is cosigned). Append-only and idempotent: the
 * same evidence twice is kept once. Returns 'stored', 'known' (already held), or 'refused' (unknown
 * log, or it proves nothing).
 */
export async function recordEvidence(
  db: Db,
  evidence: Equivocation,
  receivedFrom: string | null,
): Promise<'stored' | 'known' | 'refused'> {
  const run = async (trx: Db) => {
    const log = await trx
      .selectFrom('ledger_witness_logs')
      .select(['verifier_key'])
      .where('origin', '=', evidence.origin)
      .forUpdate()
      .executeTakeFirst();
    if (!log || !checkEquivocation(evidence, [verifierFromKey(log.verifier_key)])) return 'refused' as const;
    const json = canonicalJson(evidence);
    const inserted = await trx
      .insertInto('ledger_witness_evidence')
      .values({
        id: uuidv7(),
        origin: evidence.origin,
        kind: evidence.kind,
        evidence: json,
        digest: sha256Hex(json),
        received_from: receivedFrom,
      })
      .onConflict((oc) => oc.column('digest').doNothing())
      .returning('id')
      .executeTakeFirst();
    await trx
      .updateTable('ledger_witness_logs')
      .set({ status: 'equivocated' })
      .where('origin', '=', evidence.origin)
      .execute();
    return inserted ? ('stored' as const) : ('known' as const);
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

export interface HeldEvidence {
  id: string;
  origin: string;
  kind: string;
  evidence: Equivocation;
  receivedFrom: string | null;
  createdAt: Date;
}

/** The evidence held, newest first (the transparency page, GET /ledger-witness/evidence). */
export async function listEvidence(db: Db, limit = 100): Promise<HeldEvidence[]> {
  const rows = await db
    .selectFrom('ledger_witness_evidence')
    .select(['id', 'origin', 'kind', 'evidence', 'received_from', 'created_at'])
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    origin: r.origin,
    kind: r.kind,
    evidence: r.evidence as Equivocation,
    receivedFrom: r.received_from,
    createdAt: r.created_at,
  }));
}
