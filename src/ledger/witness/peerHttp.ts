import type { Db } from '../../db/database.ts';
import { fetchOutside } from '../../webhooks/index.ts';
import type { Equivocation } from '../tlog/equivocation.ts';
import { blockLeafHash } from '../tlog/ledgerLog.ts';

/**
 * What the node asks of its peers over HTTP (docs/FEDERATION.md, "Ledger witnessing"). Peers are
 * other people's machines: every answer is bounded, every call times out, and nothing a peer says is
 * believed without a signature checked against a pinned key (done by the callers).
 */
export interface PeerHttpOptions {
  /** Loopback and private peers: development and tests only (config.env !== 'production'). */
  allowPrivate: boolean;
  timeoutMs?: number;
}

const TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 256 * 1024;
/** Leaves per request, as GET /ledger/<CODE>/leaves serves them. */
export const LEAVES_PAGE = 1000;
/** A witness fetches at most this many leaves to build a proof (beyond: the stored subtrees of the design). */
export const MAX_FETCHED_LEAVES = 200_000;

export async function peerRequest(
  url: string,
  options: PeerHttpOptions,
  init: { method?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; contentType: string; body: string }> {
  const response = await fetchOutside(url, options.allowPrivate, {
    method: init.method ?? 'GET',
    headers: { 'user-agent': 'Rezo-Witness/1', ...(init.contentType ? { 'content-type': init.contentType } : {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_ANSWER_BYTES) throw new Error(`${url}: answer above ${MAX_ANSWER_BYTES} bytes`);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: Buffer.from(bytes).toString('utf8'),
  };
}

/** The first `size` leaves of a peer's log, from its block hashes (GET /ledger/<CODE>/leaves). */
export async function fetchLogLeaves(
  peerUrl: string,
  currencyCode: string,
  size: number,
  options: PeerHttpOptions,
): Promise<Uint8Array[]> {
  if (size > MAX_FETCHED_LEAVES) throw new Error(`log too large to fetch (${size} leaves)`);
  const leaves: Uint8Array[] = [];
  while (leaves.length < size) {
    const to = Math.min(size, leaves.length + LEAVES_PAGE);
    const url = `${peerUrl}/ledger/${encodeURIComponent(currencyCode)}/leaves?from=${leaves.length}&to=${to}`;
    const answer = await peerRequest(url, options);
    if (answer.status !== 200) throw new Error(`${url}: HTTP ${answer.status}`);
    const page = (JSON.parse(answer.body) as { blockHashes?: unknown }).blockHashes;
    if (!Array.isArray(page) || page.length !== to - leaves.length)
      throw new Error(`${url}: not ${to - leaves.length} leaves`);
    for (const hash of page) leaves.push(blockLeafHash(String(hash)));
  }
  return leaves;
}

/** The latest checkpoint a peer witness cosigned for a log (GET /ledger-witness/logs/<origin>), or null. */
export async function fetchPeerView(peerUrl: string, origin: string, options: PeerHttpOptions): Promise<string | null> {
  const answer = await peerRequest(`${peerUrl}/ledger-witness/logs/${encodeURIComponent(origin)}`, options);
  return answer.status === 200 ? answer.body : null;
}

/** Every peer this node knows (the logs it witnesses, the witnesses of its logs), by URL. */
export async function peerUrls(db: Db): Promise<string[]> {
  const [logs, witnesses] = await Promise.all([
    db.selectFrom('ledger_witness_logs').select('peer_url as url').distinct().execute(),
    db.selectFrom('ledger_log_witnesses').select('url').execute(),
  ]);
  return [...new Set([...logs, ...witnesses].map((r) => r.url))].sort();
}

/**
 * Tells every peer but `except` about evidence (POST /ledger-witness/evidence): each re-checks it with
 * the key it pinned. Best effort, once: a peer that missed it finds the fork itself when it compares
 * views, and the evidence stays on the transparency page.
 */
export async function tellPeers(
  db: Db,
  evidence: Equivocation,
  except: string | null,
  options: PeerHttpOptions,
): Promise<number> {
  const targets = (await peerUrls(db)).filter((u) => u !== except);
  const body = JSON.stringify({ evidence });
  const sent = await Promise.allSettled(
    targets.map((u) =>
      peerRequest(`${u}/ledger-witness/evidence`, options, { method: 'POST', body, contentType: 'application/json' }),
    ),
  );
  return sent.filter((s) => s.status === 'fulfilled' && s.value.status < 300).length;
}
