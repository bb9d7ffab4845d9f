import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { resolveHold, type ResolveHoldInput } from './resolveHold.ts';
import type { TransferRequestResult } from './transferRequest.ts';

/** Releases a hold without moving money. Once: a second post or void is refused. */
export async function voidHold(
  db: Db,
  actor: Actor | null,
  input: Omit<ResolveHoldInput, 'amount'>,
): Promise<TransferRequestResult> {
  return resolveHold(db, actor, 'void', input);
}
