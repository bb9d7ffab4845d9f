import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { resolveHold, type ResolveHoldInput } from './resolveHold.ts';
import type { TransferRequestResult } from './transferRequest.ts';

/** Settles a hold, wholly or partly (the rest is released). Once: a second post or void is refused. */
export async function postHold(db: Db, actor: Actor | null, input: ResolveHoldInput): Promise<TransferRequestResult> {
  return resolveHold(db, actor, 'post', input);
}
