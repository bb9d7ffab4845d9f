import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';

/**
 * Events received from other nodes, as the agenda shows them (docs/AGENDA.md, "Remote events"). The
 * agenda does not import the federation module (federation imports the agenda): it declares what it
 * needs here, and the federation module gives it in its module.ts (`remoteAgenda`), registered from
 * the module list when the node starts (src/node/modules.ts), as date uses are. A leaf: types only
 * and the registry, so src/http/module.ts may name the type.
 */

/** One received event, read from what the federation module parsed and stored. */
export interface RemoteAgendaEntry {
  /** Stable local id (a UUID hashed from the remote object id): the page /agenda/remote/<localId>. */
  localId: string;
  /** The remote object id (its URL on the origin node). */
  objectId: string;
  /** The event's page on its origin, when it gave one. */
  url: string | null;
  title: string;
  summary: string;
  /** As received: HTML from elsewhere, to sanitise before showing (remoteHtml.ts). */
  contentHtml: string;
  startsAt: Date;
  endsAt: Date | null;
  /** The IANA zone the event gave, when it gave one. */
  timezone: string | null;
  status: 'confirmed' | 'tentative' | 'cancelled';
  placeName: string;
  address: string;
  onlineUrl: string | null;
  tags: string[];
  /** Image URLs on the origin (linked, never fetched by this node). */
  images: { url: string; name: string }[];
  /** Where to buy or participate: the origin's externalParticipationUrl. */
  ticketUrl: string | null;
  availability: 'in_stock' | 'limited' | 'sold_out' | null;
  remainingCapacity: number | null;
  maximumCapacity: number | null;
  sequence: number | null;
  /** When this node received the copy it has (the "as of" of the availability). */
  receivedAt: Date;
  /** The origin's `updated`, or receivedAt. */
  updatedAt: Date;
  /** The origin actor: its host and its name (the venue on the other node). */
  originHost: string;
  originName: string;
}

/** Which received events an agenda shows, and the page after which (keyset on start, local id). */
export interface RemoteAgendaQuery {
  /** The local actor whose follows bring the events: a venue's id, or 'relay' for the territory. */
  follower: string;
  from: Date;
  to?: Date;
  /** Any one of these tags. */
  tags?: readonly string[];
  text?: string;
  after: { startsAt: Date; id: string } | null;
  limit: number;
}

export interface RemoteAgendaSource {
  list(db: Db, query: RemoteAgendaQuery): Promise<RemoteAgendaEntry[]>;
  /** One event by its local id, if some local actor still follows its origin and no operator removed it. */
  find(db: Db, localId: string): Promise<RemoteAgendaEntry | null>;
  /**
   * The event's places asked of its origin now (a signed poll, cached a few seconds: docs/FEDERATION.md,
   * "Live availability"); null when its origin cannot be asked or said nothing: the page shows what was stored.
   */
  freshAvailability?(
    deps: { db: Db; config: Config },
    entry: RemoteAgendaEntry,
  ): Promise<{ availability: RemoteAgendaEntry['availability']; remaining: number | null; asOf: Date } | null>;
}

let registered: RemoteAgendaSource | null = null;

/** The federation module's source (registered from the module list); registering again replaces it. */
export function registerRemoteSource(source: RemoteAgendaSource): void {
  registered = source;
}

/** The registered source, or null on a node built without it (then the agenda is local only). */
export function remoteSource(): RemoteAgendaSource | null {
  return registered;
}

/** The actor whose follows feed the territory's agenda (the federation module's instance actor). */
export const TERRITORY_FOLLOWER = 'relay';
