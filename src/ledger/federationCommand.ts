import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { addFederationVenue } from './addFederationVenue.ts';
import { CommandLineError, list, parseArgs, type Output } from './commandArgs.ts';
import { createFederation } from './createFederation.ts';
import { findFederationBySlug, listFederations } from './federations.ts';
import { placeIdsBySlugs } from '../places/index.ts';

export const FEDERATION_USAGE =
  'usage: rezo federation create <slug> --name "Name" [--venues slug1,slug2] | add-venue <federation-slug> <venue-slug> | list';

export type FederationCommand =
  | { action: 'create'; slug: string; name: string; venues: string[] }
  | { action: 'add-venue'; federation: string; venue: string }
  | { action: 'list' };

/** Reads the arguments of `rezo federation …` (before the database is opened); throws CommandLineError. */
export function parseFederationArgs(args: string[]): FederationCommand {
  const { positional, options } = parseArgs(args, ['--name', '--venues'], FEDERATION_USAGE);
  const [action, ...rest] = positional;
  if (action === 'create' && rest.length === 1 && options.has('--name')) {
    return { action, slug: rest[0]!, name: options.get('--name')!.trim(), venues: list(options.get('--venues')) };
  }
  if (action === 'add-venue' && rest.length === 2 && options.size === 0)
    return { action, federation: rest[0]!, venue: rest[1]! };
  if (action === 'list' && rest.length === 0 && options.size === 0) return { action };
  throw new CommandLineError(FEDERATION_USAGE);
}

/** Resolves venue slugs to ids, or prints one line naming the unknown ones. */
export async function resolveVenues(db: Db, slugs: string[], out: Output): Promise<string[] | null> {
  const ids = await placeIdsBySlugs(db, slugs);
  const unknown = slugs.filter((s) => !ids.has(s));
  if (unknown.length > 0) {
    out.stderr(`rezo: no venue with the slug ${unknown.map((s) => `"${s}"`).join(', ')}; nothing was written\n`);
    return null;
  }
  return slugs.map((s) => ids.get(s)!);
}

/**
 * `rezo federation create | add-venue | list`: the node operator sets up federations (as the node,
 * SYSTEM). Returns the exit code; an unknown slug is one line on stderr and exit 1, writing nothing;
 * the use cases' own refusals (DomainError) are thrown, for `rezo` to print as one line.
 */
export async function federationCommand(db: Db, command: FederationCommand, out: Output): Promise<number> {
  switch (command.action) {
    case 'create': {
      const venues = [...new Set(command.venues)];
      const placeIds = await resolveVenues(db, venues, out);
      if (!placeIds) return 1;
      await createFederation(db, SYSTEM, { slug: command.slug, name: command.name, placeIds });
      out.stdout(
        `federation "${command.slug}" created with ${venues.length} venue(s)${venues.length ? `: ${venues.join(', ')}` : ''}\n`,
      );
      return 0;
    }
    case 'add-venue': {
      const federation = await findFederationBySlug(db, command.federation);
      if (!federation) {
        out.stderr(`rezo: no federation with the slug "${command.federation}"; nothing was written\n`);
        return 1;
      }
      const placeIds = await resolveVenues(db, [command.venue], out);
      if (!placeIds) return 1;
      const r = await addFederationVenue(db, SYSTEM, { federationId: federation.id, placeId: placeIds[0]! });
      const accepts = r.currencies.length
        ? `; it accepts ${r.currencies.join(', ')}`
        : '; the federation issues no currency yet';
      out.stdout(
        r.changed
          ? `${command.venue} ${r.joined ? 'joined' : 'already was in'} federation "${federation.slug}"${accepts}\n`
          : `${command.venue} already is in federation "${federation.slug}"${accepts}: nothing changed\n`,
      );
      return 0;
    }
    case 'list': {
      const federations = await listFederations(db);
      if (federations.length === 0) out.stdout('no federation yet\n');
      for (const f of federations) {
        out.stdout(`${f.slug}  "${f.name}"\n`);
        out.stdout(`  venues (${f.venues.length}): ${f.venues.join(', ') || '-'}\n`);
        out.stdout(
          `  currencies: ${f.currencies.map((c) => `${c.code} (${c.kind}${c.status === 'archived' ? ', archived' : ''})`).join(', ') || '-'}\n`,
        );
      }
      return 0;
    }
  }
}
