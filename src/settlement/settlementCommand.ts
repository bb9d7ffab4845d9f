import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { CommandLineError, parseArgs, type Output } from '../ledger/index.ts';
import { addTreasurer } from './addTreasurer.ts';
import { removeTreasurer } from './removeTreasurer.ts';
import { runSettlement } from './runSettlement.ts';
import { setSettlementFee } from './setSettlementFee.ts';
import { listRunStatements, listRuns, type Statement } from './statements.ts';
import { settledFederation } from './treasurers.ts';

export const SETTLEMENT_USAGE =
  'usage: rezo settlement run --federation <slug> --until <YYYY-MM-DD|ISO instant|now> | list --federation <slug> | ' +
  'treasurer add|remove --federation <slug> <email> | fee --federation <slug> --bps <0..2000>';

export type SettlementCommand =
  | { action: 'run'; federation: string; until: string }
  | { action: 'list'; federation: string }
  | { action: 'treasurer'; add: boolean; federation: string; email: string }
  | { action: 'fee'; federation: string; bps: string };

/** Reads the arguments of `rezo settlement …` (before the database is opened); throws CommandLineError. */
export function parseSettlementArgs(args: string[]): SettlementCommand {
  const { positional, options } = parseArgs(args, ['--federation', '--until', '--bps'], SETTLEMENT_USAGE);
  const [action, ...rest] = positional;
  const federation = options.get('--federation');
  if (!federation) throw new CommandLineError(SETTLEMENT_USAGE);
  if (action === 'run' && rest.length === 0 && options.has('--until') && options.size === 2)
    return { action, federation, until: options.get('--until')! };
  if (action === 'list' && rest.length === 0 && options.size === 1) return { action, federation };
  if (action === 'treasurer' && rest.length === 2 && (rest[0] === 'add' || rest[0] === 'remove') && options.size === 1)
    return { action, add: rest[0] === 'add', federation, email: rest[1]! };
  if (action === 'fee' && rest.length === 0 && options.has('--bps') && options.size === 2)
    return { action, federation, bps: options.get('--bps')! };
  throw new CommandLineError(SETTLEMENT_USAGE);
}

const euros = (cents: number) =>
  `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;

function statementLine(s: Statement): string {
  return (
    `  ${s.reference}  ${s.placeSlug}: opening ${euros(s.openingCents)}, tokens ${euros(s.tokensCents)}, ` +
    `cash ${euros(s.cashCents)}, fee ${euros(s.feeCents)}, closing ${euros(s.closingCents)} (${s.state.replace('_', ' ')})\n`
  );
}

/**
 * `rezo settlement run | list | treasurer | fee`: settlement as the node (SYSTEM). The use cases' refusals
 * (DomainError) are thrown, for `rezo` to print as one line with exit code 1. Returns the exit code.
 */
export async function settlementCommand(db: Db, command: SettlementCommand, out: Output): Promise<number> {
  switch (command.action) {
    case 'run': {
      const r = await runSettlement(db, SYSTEM, { federation: command.federation, until: command.until });
      const how = r.replayed ? 'already settled, nothing written' : r.resumed ? 'resumed and completed' : 'complete';
      out.stdout(
        `settlement of ${command.federation} up to ${r.run.periodEnd.toISOString()}: run ${r.run.id} ${how}, ` +
          `${r.statements.length} statement(s)\n`,
      );
      for (const s of r.statements) out.stdout(statementLine(s));
      return 0;
    }
    case 'list': {
      const federation = await settledFederation(db, command.federation);
      const runs = await listRuns(db, federation.id);
      if (runs.length === 0) out.stdout(`no settlement yet for ${federation.slug}\n`);
      for (const run of runs) {
        out.stdout(
          `run ${run.id}: ${run.periodStart?.toISOString() ?? 'beginning'} .. ${run.periodEnd.toISOString()} (${run.status})\n`,
        );
        for (const s of await listRunStatements(db, SYSTEM, run.id)) out.stdout(statementLine(s));
      }
      return 0;
    }
    case 'treasurer': {
      const input = { federation: command.federation, email: command.email };
      if (command.add) {
        const r = await addTreasurer(db, SYSTEM, input);
        out.stdout(`${command.email} ${r.added ? 'is now' : 'already was'} a treasurer of ${command.federation}\n`);
      } else {
        const r = await removeTreasurer(db, SYSTEM, input);
        out.stdout(`${command.email} ${r.removed ? 'is no longer' : 'was not'} a treasurer of ${command.federation}\n`);
      }
      return 0;
    }
    case 'fee': {
      const r = await setSettlementFee(db, SYSTEM, { federation: command.federation, bps: command.bps });
      out.stdout(
        `settlement fee of ${command.federation}: ${r.feeBps} basis points (${(r.feeBps / 100).toFixed(2)} %)\n`,
      );
      return 0;
    }
  }
}
