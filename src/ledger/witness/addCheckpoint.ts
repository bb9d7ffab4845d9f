import type { Db } from '../../db/database.ts';
import { parseAddCheckpointRequest } from '../tlog/addCheckpointWire.ts';
import { verifierFromKey, type Cosigner } from '../tlog/cosignature.ts';
import { decideAddCheckpoint, requestOrigin, type AddCheckpointDecision } from '../tlog/decideAddCheckpoint.ts';
import type { Equivocation } from '../tlog/equivocation.ts';
import { formatSignatureLine } from '../tlog/signedNote.ts';
import { TlogError } from '../tlog/tlogError.ts';
import { recordEvidence } from './evidence.ts';
import type { PinnedLog } from './investigateLog.ts';

/** What POST /ledger-witness/add-checkpoint answers (text bodies: C2SP clients parse them). */
export interface AddCheckpointAnswer {
  status: number;
  contentType: string;
  body: string;
  /** 422: the log and the checkpoint to investigate after the answer (investigateLog). */
  investigate?: { log: PinnedLog; checkpoint: string };
  /** 409 fork: the evidence just stored, to tell the peers about. */
  fork?: Equivocation;
}

const text = (status: number, body: string): AddCheckpointAnswer => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: body.endsWith('\n') ? body : `${body}\n`,
});

/**
 * The node as a witness (docs/FEDERATION.md, "Witnesses"): one C2SP tlog-witness add-checkpoint, in
 * ONE transaction — lock the pinned log's row (for update), decide (decideAddCheckpoint, pure), store
 * the new cosigned size or the evidence, commit; the route answers after the commit. Two requests for
 * one log are thus decided one after the other: the second sees the first's size and gets 409 with
 * it, and the stored size never goes backwards. A log held equivocating is not cosigned any more
 * (403). Only logs an operator pinned are known (404).
 */
export async function addCheckpoint(db: Db, body: string, cosigner: Cosigner, now: Date): Promise<AddCheckpointAnswer> {
  let request;
  let origin: string;
  try {
    request = parseAddCheckpointRequest(body);
    origin = requestOrigin(request);
  } catch (error) {
    if (error instanceof TlogError) return text(400, error.message);
    throw error;
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('ledger_witness_logs')
      .selectAll()
      .where('origin', '=', origin)
      .forUpdate()
      .executeTakeFirst();
    if (row?.status === 'equivocated') return text(403, `log-equivocated: ${origin}`);
    const log = row && {
      origin: row.origin,
      verifiers: [verifierFromKey(row.verifier_key)],
      state:
        row.checkpoint && row.root_hash
          ? { size: Number(row.size), rootHash: Buffer.from(row.root_hash, 'hex'), checkpoint: row.checkpoint }
          : null,
    };
    let decision: AddCheckpointDecision;
    try {
      decision = decideAddCheckpoint(request, log, cosigner, now);
    } catch (error) {
      if (error instanceof TlogError) return text(400, error.message);
      throw error;
    }
    switch (decision.status) {
      case 200:
        await trx
          .updateTable('ledger_witness_logs')
          .set({
            size: decision.newState.size,
            root_hash: Buffer.from(decision.newState.rootHash).toString('hex'),
            checkpoint: decision.newState.checkpoint,
            cosignature: formatSignatureLine(decision.cosignature).trimEnd(),
            cosigned_at: now,
          })
          .where('origin', '=', origin)
          .execute();
        return { status: 200, contentType: decision.contentType, body: decision.body };
      case 409:
        if (decision.reason === 'old-size')
          return { status: 409, contentType: decision.contentType, body: decision.body };
        {
          const { origin: o, checkpoints, size } = decision.evidence;
          const fork: Equivocation = { kind: 'fork', origin: o, checkpoints };
          await recordEvidence(trx, fork, null);
          return { ...text(409, `fork: another checkpoint of size ${size} was cosigned`), fork };
        }
      case 422:
        return {
          ...text(422, 'the consistency proof does not verify'),
          investigate: {
            log: { origin, verifierKey: row!.verifier_key, peerUrl: row!.peer_url, checkpoint: row!.checkpoint },
            checkpoint: request.checkpoint,
          },
        };
      default:
        return text(decision.status, `${decision.reason}: ${decision.detail}`);
    }
  });
}
