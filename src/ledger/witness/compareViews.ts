import type { Db } from '../../db/database.ts';
import { parseNote } from '../tlog/signedNote.ts';
import { investigateLog } from './investigateLog.ts';
import { fetchPeerView, peerUrls, type PeerHttpOptions } from './peerHttp.ts';

/**
 * A witness compares what it cosigned for each log with what the other peers cosigned for it
 * (docs/FEDERATION.md, "Equivocation"): a log that shows two witnesses different trees is caught
 * here — same size and another root is a fork; different sizes are checked against the log's leaves
 * (investigateLog). A housekeeping job; a peer that does not answer is skipped until the next round.
 */
export async function compareViews(db: Db, options: PeerHttpOptions): Promise<{ compared: number; evidence: number }> {
  const logs = await db
    .selectFrom('ledger_witness_logs')
    .select(['origin', 'verifier_key', 'peer_url', 'checkpoint'])
    .where('status', '=', 'active')
    .where('checkpoint', 'is not', null)
    .orderBy('origin')
    .execute();
  const peers = await peerUrls(db);
  let compared = 0;
  let evidence = 0;
  for (const log of logs) {
    for (const peer of peers.filter((p) => p !== log.peer_url)) {
      const view = await fetchPeerView(peer, log.origin, options).catch(() => null);
      if (!view) continue;
      compared++;
      if (parseNote(view).text === parseNote(log.checkpoint!).text) continue;
      const pinned = {
        origin: log.origin,
        verifierKey: log.verifier_key,
        peerUrl: log.peer_url,
        checkpoint: log.checkpoint,
      };
      const found = await investigateLog(db, pinned, view, options).catch(() => null);
      if (found) {
        evidence++;
        break;
      }
    }
  }
  return { compared, evidence };
}

/** What this witness cosigned last for a log: GET /ledger-witness/logs/<origin> (the note and its cosignature). */
export async function cosignedView(db: Db, origin: string): Promise<string | null> {
  const row = await db
    .selectFrom('ledger_witness_logs')
    .select(['checkpoint', 'cosignature'])
    .where('origin', '=', origin)
    .executeTakeFirst();
  return row?.checkpoint ? row.checkpoint + (row.cosignature ? `${row.cosignature}\n` : '') : null;
}
