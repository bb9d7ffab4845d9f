import type { Db } from '../../db/database.ts';
import { openCheckpoint } from '../tlog/checkpoint.ts';
import { verifierFromKey } from '../tlog/cosignature.ts';
import { findFork, proveInconsistency, type Equivocation } from '../tlog/equivocation.ts';
import { TlogError } from '../tlog/tlogError.ts';
import { recordEvidence } from './evidence.ts';
import { currencyOfOrigin } from './identity.ts';
import { fetchLogLeaves, tellPeers, type PeerHttpOptions } from './peerHttp.ts';

export interface PinnedLog {
  origin: string;
  verifierKey: string;
  peerUrl: string;
  /** The checkpoint this witness last cosigned, or null. */
  checkpoint: string | null;
}

/**
 * Compares the checkpoint a witness cosigned for a log with another signed checkpoint of that log (one
 * whose consistency proof failed, or one a peer witness cosigned) and, when they cannot both be true,
 * turns it into evidence anyone can re-check (docs/FEDERATION.md, "Equivocation"): same size → a fork;
 * different sizes → the log's own leaves, fetched from it, that reproduce the larger signed root but
 * not the smaller one. The evidence is stored and the other peers are told. Returns it, or null when
 * nothing is proven (a bad proof alone proves nothing: the log may be buggy, not lying).
 */
export async function investigateLog(
  db: Db,
  log: PinnedLog,
  other: string,
  options: PeerHttpOptions,
): Promise<Equivocation | null> {
  if (!log.checkpoint) return null;
  const verifiers = [verifierFromKey(log.verifierKey)];
  let sizes: [number, number];
  try {
    sizes = [log.checkpoint, other].map((n) => openCheckpoint(n, verifiers).checkpoint.size) as [number, number];
  } catch (error) {
    if (error instanceof TlogError) return null;
    throw error;
  }
  const code = currencyOfOrigin(log.origin);
  let evidence: Equivocation | null = null;
  if (sizes[0] === sizes[1]) evidence = findFork(log.checkpoint, other, verifiers);
  else if (code) {
    const [smaller, larger] = sizes[0] < sizes[1] ? [log.checkpoint, other] : [other, log.checkpoint];
    const leaves = await fetchLogLeaves(log.peerUrl, code, Math.max(...sizes), options);
    evidence = proveInconsistency(smaller, larger, leaves, verifiers);
  }
  if (!evidence) return null;
  if ((await recordEvidence(db, evidence, null)) === 'stored') await tellPeers(db, evidence, null, options);
  return evidence;
}
