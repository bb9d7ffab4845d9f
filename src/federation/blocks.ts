import type { Db, Trx } from '../db/database.ts';

/** The host (with port, lower-cased) of a URL, or the value itself when it is already a host. */
export function hostOf(actorIdOrHost: string): string {
  return (URL.canParse(actorIdOrHost) ? new URL(actorIdOrHost).host : actorIdOrHost).toLowerCase();
}

/**
 * Whether an operator blocked this remote actor, its host, or the actor whose inbox this is
 * (docs/FEDERATION.md, "Moderation"): the inbox answers 403 to a blocked sender (its signature's key),
 * the outbox fails a delivery to a blocked inbox. Takes an actor id, a key id, an inbox URL or a host.
 */
export async function isBlocked(db: Db | Trx, actorIdOrHost: string | null | undefined): Promise<boolean> {
  if (!actorIdOrHost) return false;
  const id = actorIdOrHost.split('#')[0]!;
  const found = await db
    .selectFrom('federation_blocks')
    .select('target')
    .where((eb) =>
      eb.or([
        eb.and([eb('kind', '=', 'host'), eb('target', '=', hostOf(id))]),
        eb.and([eb('kind', '=', 'actor'), eb('target', '=', id)]),
        eb(
          'target',
          'in',
          eb.selectFrom('federation_remote_actors').select('id').where('blocked', '=', true).where('inbox', '=', id),
        ),
      ]),
    )
    .executeTakeFirst();
  return found !== undefined;
}

/**
 * A queued delivery that must not go (the outbox fails it): to a blocked host or actor. The `Undo` of
 * our follows of it, queued when it was blocked, still goes.
 */
export async function deliveryBlocked(db: Db, row: { inbox: string; body: unknown }): Promise<boolean> {
  const body = typeof row.body === 'string' ? (JSON.parse(row.body) as unknown) : row.body;
  if ((body as { type?: unknown } | null)?.type === 'Undo') return false;
  return isBlocked(db, row.inbox);
}

/** What an operator blocks: a host (`example.org`, `host:port`, or a site's root URL) or an actor URL. */
export function blockTarget(raw: unknown): { target: string; kind: 'host' | 'actor' } | null {
  const text = String(raw ?? '').trim();
  if (/^[a-z0-9.-]+(:\d{1,5})?$/i.test(text) && text.includes('.')) return { target: text.toLowerCase(), kind: 'host' };
  if (!URL.canParse(text) || text.length > 2048) return null;
  const url = new URL(text);
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password) return null;
  if (url.pathname === '/' && !url.search) return { target: url.host, kind: 'host' };
  url.hash = '';
  return { target: url.href, kind: 'actor' };
}
