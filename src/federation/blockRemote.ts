import { sql } from 'kysely';
import type { Actor } from '../access/actor.ts';
import { inTransaction } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { blockTarget } from './blocks.ts';
import type { FederationData } from './fedify.ts';
import { requireOperator } from './operators.ts';
import { undoFollows } from './unfollowRemote.ts';

/**
 * An operator blocks a remote host or actor (docs/FEDERATION.md, "Moderation"), at once and in one
 * transaction: our follows of it are deleted with an `Undo(Follow)` queued, its events deleted, its
 * follows of us deleted. Afterwards the inbox answers it 403 and stores nothing, and the outbox fails
 * what would go to it (src/federation/blocks.ts). Blocking again changes nothing.
 */
export async function blockRemote(
  data: Pick<FederationData, 'db' | 'config' | 'kick'>,
  who: Actor,
  input: { target: unknown },
): Promise<{ target: string; kind: 'host' | 'actor'; follows: number; followers: number; events: number }> {
  requireOperator(who);
  const block = blockTarget(input.target);
  if (!block) throw new DomainError('validation', 422, {}, [{ field: 'target', message: 'federation.block-target' }]);
  const result = await inTransaction(data.db, async (trx) => {
    await trx
      .insertInto('federation_blocks')
      .values(block)
      .onConflict((oc) => oc.column('target').doNothing())
      .execute();
    const actors = await trx
      .updateTable('federation_remote_actors')
      .set({ blocked: true })
      .where(block.kind === 'host' ? 'host' : 'id', '=', block.target)
      .returning('id')
      .execute();
    const ids = actors.map((a) => a.id);
    const follows = await undoFollows(trx, data.config, { remoteActors: ids });
    const followers = ids.length
      ? (await trx.deleteFrom('federation_followers').where('remote_actor', 'in', ids).executeTakeFirst())
          .numDeletedRows
      : 0n;
    const events = await trx
      .deleteFrom('federation_remote_events')
      .where((eb) =>
        eb.or([
          ...(ids.length ? [eb('origin_actor', 'in', ids)] : []),
          eb('origin_actor', '=', block.target),
          ...(block.kind === 'host'
            ? ['http', 'https'].map((scheme) =>
                eb('origin_actor', 'like', sql<string>`${`${scheme}://${likeEscape(block.target)}/%`}`),
              )
            : []),
        ]),
      )
      .executeTakeFirst();
    return { follows, followers: Number(followers), events: Number(events.numDeletedRows) };
  });
  if (result.follows > 0) data.kick();
  return { ...block, ...result };
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
