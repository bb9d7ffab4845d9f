import type { Db } from '../../db/database.ts';
import { formatAddCheckpointRequest, parseAddCheckpointResponse, parseTlogSize } from '../tlog/addCheckpointWire.ts';
import { cosignatureTimestamp, verifierFromKey } from '../tlog/cosignature.ts';
import { consistencyProof } from '../tlog/merkle.ts';
import { formatSignatureLine, parseNote } from '../tlog/signedNote.ts';
import { listLogs, type LogView } from './logs.ts';
import { logLeaves } from './logTree.ts';
import { peerRequest, type PeerHttpOptions } from './peerHttp.ts';

/** Backoff after a failed round with a witness: 30 s, 1 min, 2 min… at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

interface Witness {
  name: string;
  verifier_key: string;
  url: string;
  attempts: number;
}

/**
 * The node as a log (docs/FEDERATION.md, "The log side"), a housekeeping job: for each pinned witness
 * that is due, each currency whose latest checkpoint it has not cosigned is sent to it with the
 * consistency proof from the size it last cosigned (0 at first). On 409 the witness's size is read
 * and the proof rebuilt once; on 200 its cosignature is checked with its pinned key and stored. A
 * failure (network, refusal, bad cosignature) puts the witness back by `backoffMs`.
 */
export async function sendCheckpoints(
  db: Db,
  baseUrl: string,
  options: PeerHttpOptions & { now?: Date },
): Promise<{ cosigned: number; failed: number }> {
  const now = options.now ?? new Date();
  const witnesses = await db
    .selectFrom('ledger_log_witnesses')
    .select(['name', 'verifier_key', 'url', 'attempts'])
    .where('next_attempt_at', '<=', now)
    .orderBy('name')
    .execute();
  if (witnesses.length === 0) return { cosigned: 0, failed: 0 };
  const logs = await listLogs(db, baseUrl);
  let cosigned = 0;
  let failed = 0;
  for (const witness of witnesses) {
    // Each log on its own: a witness refusing one log (evidence held against it) still cosigns the others.
    const errors: string[] = [];
    for (const log of logs) {
      try {
        if (await sendOne(db, witness, log, options)) cosigned++;
      } catch (error) {
        errors.push(String((error as Error).message ?? error));
      }
    }
    if (errors.length === 0) {
      await db
        .updateTable('ledger_log_witnesses')
        .set({ attempts: 0, last_error: null })
        .where('name', '=', witness.name)
        .execute();
    } else {
      failed++;
      const attempts = witness.attempts + 1;
      await db
        .updateTable('ledger_log_witnesses')
        .set({
          attempts,
          next_attempt_at: new Date(now.getTime() + backoffMs(attempts)),
          last_error: errors.join('; ').slice(0, 500),
        })
        .where('name', '=', witness.name)
        .execute();
    }
  }
  return { cosigned, failed };
}

async function sendOne(db: Db, witness: Witness, log: LogView, options: PeerHttpOptions): Promise<boolean> {
  if (log.cosignatures.some((c) => c.witness === witness.name)) return false;
  const last = await db
    .selectFrom('ledger_log_cosignatures')
    .select((eb) => eb.fn.max('size').as('size'))
    .where('currency_id', '=', log.currencyId)
    .where('witness_name', '=', witness.name)
    .executeTakeFirst();
  const leaves = await logLeaves(db, log.currencyId, log.size);
  let oldSize = Number(last?.size ?? 0);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (oldSize > log.size)
      throw new Error(`${witness.name} cosigned ${oldSize} leaves of ${log.origin}, more than it has`);
    const body = formatAddCheckpointRequest({
      oldSize,
      proof: consistencyProof(leaves, oldSize, log.size),
      checkpoint: log.note,
    });
    const answer = await peerRequest(`${witness.url}/ledger-witness/add-checkpoint`, options, {
      method: 'POST',
      body,
      contentType: 'text/plain; charset=utf-8',
    });
    if (answer.status === 409 && answer.contentType.startsWith('text/x.tlog.size')) {
      oldSize = parseTlogSize(answer.body);
      continue;
    }
    if (answer.status !== 200)
      throw new Error(`${log.origin} → ${witness.name}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
    await storeCosignature(db, witness, log, answer.body);
    return true;
  }
  throw new Error(`${log.origin} → ${witness.name}: the witness's size moved twice`);
}

async function storeCosignature(db: Db, witness: Witness, log: LogView, responseBody: string): Promise<void> {
  const verifier = verifierFromKey(witness.verifier_key);
  const text = parseNote(log.note).text;
  const signature = parseAddCheckpointResponse(responseBody).find(
    (s) => s.name === verifier.name && s.keyId === verifier.keyId && verifier.verify(text, s.signature),
  );
  if (!signature) throw new Error(`${witness.name} answered without a valid cosignature`);
  await db
    .insertInto('ledger_log_cosignatures')
    .values({
      currency_id: log.currencyId,
      size: log.size,
      witness_name: witness.name,
      signature_line: formatSignatureLine(signature).trimEnd(),
      cosigned_at: new Date(cosignatureTimestamp(signature) * 1000),
    })
    .onConflict((oc) => oc.columns(['currency_id', 'size', 'witness_name']).doNothing())
    .execute();
}
