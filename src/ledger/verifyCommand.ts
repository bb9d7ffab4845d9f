import type { Db } from '../db/database.ts';
import { verifyLedger } from './verifyLedger.ts';
import { PEER_USAGE, peerCommand } from './witness/peerCommand.ts';

/**
 * `rezo ledger verify [--currency X]`: one summary line per currency, then OK and exit 0; or the first
 * inconsistency (what and where) on stderr and exit 1. Returns the exit code.
 */
export async function ledgerCommand(
  db: Db,
  args: string[],
  out: { stdout: (s: string) => void; stderr: (s: string) => void },
  node: { baseUrl: string; allowPrivate: boolean } = { baseUrl: 'http://localhost', allowPrivate: false },
): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'peer' || action === 'identity') return peerCommand(db, args, out, node);
  let currencyCode: string | undefined;
  if (rest.length === 2 && rest[0] === '--currency' && rest[1]) currencyCode = rest[1].toUpperCase();
  if (action !== 'verify' || (rest.length !== 0 && !currencyCode)) {
    out.stderr(`usage: rezo ledger verify [--currency CODE]\n${PEER_USAGE}\n`);
    return 2;
  }
  const result = await verifyLedger(db, currencyCode ? { currencyCode } : {});
  for (const c of result.currencies) {
    const unsealed =
      c.unsealed === 0
        ? 'none unsealed'
        : `${c.unsealed} not sealed yet (oldest ${((c.oldestUnsealedMs ?? 0) / 1000).toFixed(1)} s)`;
    out.stdout(
      `${c.code}: ${c.transfers} transfers (${c.legacyTransfers} in the legacy chain, ${c.transfers - c.legacyTransfers - c.unsealed} in ${c.blocks} blocks, ${unsealed}), ` +
        `${c.accounts} accounts, supply ${c.supply}${c.debts ? ` (holders owe ${c.debts})` : ''}, ${c.checkpoints} checkpoints verified, head ${c.headHash}\n`,
    );
    if (c.logCheckpoints > 0)
      out.stdout(
        `${c.code} log: ${c.logCheckpoints} tree checkpoints and ${c.cosignatures} cosignatures verified` +
          c.witnesses.map((w) => `; ${w.name} cosigned ${w.size} blocks on ${w.cosignedAt.toISOString()}`).join('') +
          '\n',
      );
  }
  for (const r of result.reserves) {
    // Euros given back beyond what could be burnt are holders' debts, not payouts: "held" counts them as owed to
    // the federation, and the line says how much of it they are (docs/SETTLEMENT.md).
    const debts = result.currencies.find((c) => c.code === r.code)?.debts ?? 0;
    out.stdout(
      `reserve ${r.federation} (${r.code}): held ${r.held}${debts ? ` (of which holders owe ${debts})` : ''} >= in circulation ${r.inCirculation} + at venues ${r.atVenues} + ` +
        `settled unpaid ${r.positions}${r.other ? ` + other ${r.other}` : ''} (owed by venues ${r.owedByVenues}), ` +
        `margin ${r.held - r.inCirculation - r.atVenues - r.positions - r.other}\n`,
    );
  }
  if (result.problem) {
    const p = result.problem;
    out.stderr(`ledger verify FAILED: ${p.check} in ${p.currency} at ${p.where}: ${p.message}\n`);
    return 1;
  }
  out.stdout(
    `ledger verify OK: ${result.currencies.length} currencies, every hash, block, checkpoint signature, balance and sum checked; ` +
      `${result.reserves.length} federation reserve(s) cover their tokens and what is owed to venues\n`,
  );
  return 0;
}
