import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { acceptCurrency } from './acceptCurrency.ts';
import { CommandLineError, list, parseArgs, type Output } from './commandArgs.ts';
import { createCurrency, CURRENCY_KINDS } from './createCurrency.ts';
import { resolveVenues } from './federationCommand.ts';
import { findFederationBySlug, listCurrencies } from './federations.ts';
import type { CurrencyKind } from './tables.ts';

export const CURRENCY_USAGE =
  'usage: rezo currency create <CODE> --name "Name" --kind <kind> (--federation <slug> | --issuer <venue-slug>) ' +
  '[--decimals N] [--accepted-by slug1,slug2] | accept <CODE> <venue-slug> | list';

export type CurrencyCommand =
  | {
      action: 'create';
      code: string;
      name: string;
      kind: CurrencyKind;
      decimals: number;
      federation?: string;
      issuer?: string;
      acceptedBy: string[];
    }
  | { action: 'accept'; code: string; venue: string }
  | { action: 'list' };

/** Reads the arguments of `rezo currency …` (before the database is opened); throws CommandLineError. */
export function parseCurrencyArgs(args: string[]): CurrencyCommand {
  const { positional, options } = parseArgs(
    args,
    ['--name', '--kind', '--federation', '--issuer', '--decimals', '--accepted-by'],
    CURRENCY_USAGE,
  );
  const [action, ...rest] = positional;
  if (action === 'create' && rest.length === 1 && options.has('--name') && options.has('--kind')) {
    const kind = options.get('--kind') as CurrencyKind;
    if (!CURRENCY_KINDS.includes(kind))
      throw new CommandLineError(`--kind must be one of ${CURRENCY_KINDS.join(', ')}`);
    const federation = options.get('--federation');
    const issuer = options.get('--issuer');
    if (kind === 'federated_euro' ? !federation || issuer : !issuer || federation) {
      throw new CommandLineError(
        'a federated_euro is issued by a federation (--federation <slug>), every other kind by a venue (--issuer <venue-slug>)',
      );
    }
    const rawDecimals = options.get('--decimals');
    if (rawDecimals !== undefined && !/^[0-9]{1,2}$/.test(rawDecimals))
      throw new CommandLineError('--decimals must be a whole number from 0 to 6');
    // Points and badges are counted whole; euros and hours in hundredths.
    const decimals =
      rawDecimals !== undefined ? Number(rawDecimals) : kind === 'loyalty' || kind === 'membership' ? 0 : 2;
    return {
      action,
      code: rest[0]!.toUpperCase(),
      name: options.get('--name')!.trim(),
      kind,
      decimals,
      ...(federation ? { federation } : {}),
      ...(issuer ? { issuer } : {}),
      acceptedBy: [...new Set(list(options.get('--accepted-by')))],
    };
  }
  if (action === 'accept' && rest.length === 2 && options.size === 0)
    return { action, code: rest[0]!.toUpperCase(), venue: rest[1]! };
  if (action === 'list' && rest.length === 0 && options.size === 0) return { action };
  throw new CommandLineError(CURRENCY_USAGE);
}

/**
 * `rezo currency create | accept | list`, as the node (SYSTEM). Returns the exit code; an unknown
 * slug or code is one line on stderr and exit 1, writing nothing; the use cases' own refusals
 * (DomainError) are thrown, for `rezo` to print as one line.
 */
export async function currencyCommand(db: Db, command: CurrencyCommand, out: Output): Promise<number> {
  switch (command.action) {
    case 'create': {
      let federationId: string | undefined;
      if (command.federation) {
        const federation = await findFederationBySlug(db, command.federation);
        if (!federation) {
          out.stderr(`rezo: no federation with the slug "${command.federation}"; nothing was written\n`);
          return 1;
        }
        federationId = federation.id;
      }
      const venues = await resolveVenues(db, [...(command.issuer ? [command.issuer] : []), ...command.acceptedBy], out);
      if (!venues) return 1;
      const issuerPlaceId = command.issuer ? venues[0] : undefined;
      const acceptedByPlaceIds = command.issuer ? venues.slice(1) : venues;
      const currency = await createCurrency(db, SYSTEM, {
        code: command.code,
        name: command.name,
        kind: command.kind,
        decimals: command.decimals,
        ...(federationId ? { federationId } : {}),
        ...(issuerPlaceId ? { issuerPlaceId } : {}),
        acceptedByPlaceIds,
      });
      const summary = (await listCurrencies(db)).find((c) => c.code === currency.code)!;
      out.stdout(
        `currency ${currency.code} created (${currency.kind}, ${currency.decimals} decimals, issued by ${summary.issuer.kind} ${summary.issuer.slug}); ` +
          `accepted by: ${summary.acceptedBy.join(', ') || '-'}\n`,
      );
      return 0;
    }
    case 'accept': {
      const exists = await db
        .selectFrom('ledger_currencies')
        .select('id')
        .where('code', '=', command.code)
        .executeTakeFirst();
      if (!exists) {
        out.stderr(`rezo: no currency with the code "${command.code}"; nothing was written\n`);
        return 1;
      }
      const venues = await resolveVenues(db, [command.venue], out);
      if (!venues) return 1;
      const r = await acceptCurrency(db, SYSTEM, { currencyCode: command.code, placeId: venues[0]! });
      out.stdout(
        r.added
          ? `${command.venue} now accepts ${r.code}\n`
          : `${command.venue} already accepts ${r.code}: nothing changed\n`,
      );
      return 0;
    }
    case 'list': {
      const currencies = await listCurrencies(db);
      if (currencies.length === 0) out.stdout('no currency yet\n');
      const rows = currencies.map((c) => [
        c.code,
        c.kind + (c.status === 'archived' ? ' (archived)' : ''),
        `${c.issuer.kind} ${c.issuer.slug}`,
        c.acceptedBy.join(', ') || '-',
      ]);
      if (rows.length > 0) rows.unshift(['CODE', 'KIND', 'ISSUER', 'ACCEPTED BY']);
      const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) out.stdout(`${r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ')}\n`);
      return 0;
    }
  }
}
