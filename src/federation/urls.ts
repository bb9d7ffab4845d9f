/**
 * The ActivityPub URLs of a node (docs/FEDERATION.md, "URLs"), from its public base URL: ids never
 * depend on the Host header of a request. One actor path for every actor: `relay` or a venue's id.
 */
export const INSTANCE_ACTOR = 'relay';
export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';

export const actorUrl = (base: string, actor: string) => `${base}/ap/actors/${actor}`;
export const sharedInboxUrl = (base: string) => `${base}/ap/inbox`;
export const eventObjectUrl = (base: string, dateId: string) => `${base}/ap/events/${dateId}`;
/** A date's live availability, answered to signed GETs (docs/FEDERATION.md, "Live availability"). */
export const availabilityUrl = (base: string, dateId: string) => `${eventObjectUrl(base, dateId)}/availability`;
export const activityUrl = (base: string, id: string) => `${base}/ap/activities/${id}`;

/** The collections every actor has; Mobilizon refreshes a group by fetching each of them. */
export const ACTOR_COLLECTIONS = [
  'outbox',
  'followers',
  'following',
  'members',
  'resources',
  'todos',
  'posts',
  'discussions',
  'events',
  'upcoming',
] as const;
export type ActorCollection = (typeof ACTOR_COLLECTIONS)[number];

/** Scheme, host and port of a URL, or null when it is not one: two ids have the same origin when equal. */
export function originOf(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** The id of a JSON-LD node given as a string or as an object with an `id`. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string')
    return (value as { id: string }).id;
  return null;
}

/** A JSON-LD term whose value is an IRI (`{"@id": iri, "@type": "@id"}`), for the @context of our documents. */
export const iriTerm = (iri: string) => ({ '@id': iri, '@type': '@id' });

const PUBLIC_SPELLINGS = new Set([PUBLIC, 'as:Public', 'Public']);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** Whether one of these documents (an object, its activity) addresses the public in `to` or `cc`, any of the three spellings. */
export function addressedToPublic(...documents: Record<string, unknown>[]): boolean {
  return documents
    .flatMap((d) => [...list(d.to), ...list(d.cc)])
    .map(idOf)
    .some((a) => a !== null && PUBLIC_SPELLINGS.has(a));
}
