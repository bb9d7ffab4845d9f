import type { Db } from '../../db/database.ts';
import { DomainError } from '../../shared/errors.ts';
import { list, parseArgs, type Output } from '../commandArgs.ts';
import { ledgerIdentity } from './identity.ts';
import { pinPeer } from './pinPeer.ts';

export const PEER_USAGE =
  'usage: rezo ledger identity | rezo ledger peer add --url URL --witness-key KEY --log-keys KEY[,KEY…] | rezo ledger peer list';

/**
 * The operator's side of witnessing (docs/OPERATIONS.md, "Pinning a peer node"): `identity` prints
 * this node's witness key and its logs' keys (to give to the peer's operator), `peer add` pins a
 * peer's keys (both ways: it witnesses our logs, we witness its logs), `peer list` shows the peers.
 */
export async function peerCommand(
  db: Db,
  args: string[],
  out: Output,
  node: { baseUrl: string; allowPrivate: boolean },
): Promise<number> {
  const { positional, options } = parseArgs(args, ['--url', '--witness-key', '--log-keys'], PEER_USAGE);
  const [action, sub] = positional;
  if (action === 'identity' && positional.length === 1 && options.size === 0) {
    const identity = await ledgerIdentity(db, node.baseUrl);
    out.stdout(`witness ${identity.witnessKey}\n`);
    out.stdout(`log-keys ${identity.logs.map((l) => l.verifierKey).join(',')}\n`);
    return 0;
  }
  if (action === 'peer' && sub === 'add' && positional.length === 2) {
    const [url, witnessKey, logKeys] = ['--url', '--witness-key', '--log-keys'].map((o) => options.get(o));
    if (!url || !witnessKey || !logKeys) return usage(out);
    try {
      await pinPeer(db, { url, witnessKey, logKeys: list(logKeys) }, { allowPrivate: node.allowPrivate });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      out.stderr(`refused: ${error.fields.map((f) => `${f.field} (${f.message})`).join(', ')}\n`);
      return 1;
    }
    out.stdout(`pinned ${url}: ${list(logKeys).length} log(s) witnessed here, our logs sent to its witness\n`);
    return 0;
  }
  if (action === 'peer' && sub === 'list' && positional.length === 2 && options.size === 0) {
    const witnesses = await db.selectFrom('ledger_log_witnesses').selectAll().orderBy('name').execute();
    for (const w of witnesses)
      out.stdout(`witness ${w.name} at ${w.url}${w.last_error ? ` — failing (${w.attempts}): ${w.last_error}` : ''}\n`);
    const logs = await db.selectFrom('ledger_witness_logs').selectAll().orderBy('origin').execute();
    for (const l of logs) out.stdout(`log ${l.origin} at ${l.peer_url}: cosigned ${l.size}, ${l.status}\n`);
    return 0;
  }
  return usage(out);
}

function usage(out: Output): number {
  out.stderr(`${PEER_USAGE}\n`);
  return 2;
}
