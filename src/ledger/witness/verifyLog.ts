import type { Trx } from '../../db/database.ts';
import { openCheckpoint } from '../tlog/checkpoint.ts';
import { verifierFromKey } from '../tlog/cosignature.ts';
import { hashesEqual, treeHash } from '../tlog/merkle.ts';
import { parseNote, parseSignatureLine } from '../tlog/signedNote.ts';
import { TlogError } from '../tlog/tlogError.ts';
import { Found } from '../verifyFindings.ts';
import { ownLogVerifier } from './identity.ts';
import { logLeaves } from './logTree.ts';

export interface LogSummary {
  logCheckpoints: number;
  cosignatures: number;
  /** Per witness: the largest size it cosigned and when. */
  witnesses: { name: string; size: number; cosignedAt: Date }[];
}

/**
 * `rezo ledger verify`, the log of one currency (docs/FEDERATION.md, "rezo ledger verify"): the tree is
 * rebuilt from the blocks; each stored C2SP checkpoint must carry the node's signature and the root of
 * the first `size` leaves (so consecutive checkpoints are consistent: they are prefixes of one tree);
 * each stored cosignature must verify with the witness key pinned for it. A block changed after a
 * checkpoint is located between the last checkpoint that still matches and the first that does not.
 */
export async function verifyLog(trx: Trx, currency: { id: string; code: string }): Promise<LogSummary> {
  const checkpoints = await trx
    .selectFrom('ledger_log_checkpoints')
    .select(['size', 'root_hash', 'note'])
    .where('currency_id', '=', currency.id)
    .orderBy('size')
    .execute();
  const found = (where: string, message: string) =>
    new Found({ check: 'log-checkpoint', currency: currency.code, where, message });
  const leaves = checkpoints.length > 0 ? await logLeaves(trx, currency.id) : [];
  let matched = 0;
  for (const k of checkpoints) {
    const size = Number(k.size);
    let root: Uint8Array;
    try {
      const origin = parseNote(k.note).text.split('\n')[0]!;
      const { checkpoint } = openCheckpoint(k.note, [await ownLogVerifier(trx, origin)]);
      if (checkpoint.size !== size || Buffer.from(checkpoint.rootHash).toString('hex') !== k.root_hash)
        throw found(`log checkpoint ${size}`, 'the stored size or root differs from the signed note');
      root = checkpoint.rootHash;
    } catch (error) {
      if (error instanceof TlogError)
        throw found(`log checkpoint ${size}`, `not signed by this node: ${error.message}`);
      throw error;
    }
    if (size > leaves.length)
      throw found(`log checkpoint ${size}`, `signed for ${size} blocks, ${leaves.length} sealed`);
    if (!hashesEqual(treeHash(leaves, size), root))
      throw found(
        `blocks ${matched + 1}..${size}`,
        `the tree of the blocks no longer matches the checkpoint of size ${size}: a block among ${matched + 1}..${size} was changed after it was signed`,
      );
    matched = size;
  }
  return { logCheckpoints: checkpoints.length, ...(await verifyCosignatures(trx, currency, checkpoints)) };
}

async function verifyCosignatures(
  trx: Trx,
  currency: { id: string; code: string },
  checkpoints: { size: number; note: string }[],
): Promise<Omit<LogSummary, 'logCheckpoints'>> {
  const rows = await trx
    .selectFrom('ledger_log_cosignatures as s')
    .innerJoin('ledger_log_witnesses as w', 'w.name', 's.witness_name')
    .select(['s.size', 's.witness_name', 's.signature_line', 's.cosigned_at', 'w.verifier_key'])
    .where('s.currency_id', '=', currency.id)
    .orderBy('s.size')
    .execute();
  const notes = new Map(checkpoints.map((k) => [Number(k.size), parseNote(k.note).text]));
  const witnesses = new Map<string, { name: string; size: number; cosignedAt: Date }>();
  for (const r of rows) {
    const verifier = verifierFromKey(r.verifier_key);
    let ok = false;
    try {
      const s = parseSignatureLine(r.signature_line);
      ok = s.keyId === verifier.keyId && verifier.verify(notes.get(Number(r.size)) ?? '', s.signature);
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
    }
    if (!ok)
      throw new Found({
        check: 'log-cosignature',
        currency: currency.code,
        where: `log checkpoint ${r.size}, witness ${r.witness_name}`,
        message: 'the cosignature does not verify with the pinned witness key',
      });
    witnesses.set(r.witness_name, { name: r.witness_name, size: Number(r.size), cosignedAt: r.cosigned_at });
  }
  return { cosignatures: rows.length, witnesses: [...witnesses.values()] };
}
