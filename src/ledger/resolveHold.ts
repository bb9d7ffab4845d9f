import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize, roleAllows, roleOf } from '../access/permissions.ts';
import { DomainError, FieldErrors, forbidden, unauthenticated } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { requireTill, verifyDeviceRequest } from './deviceSignature.ts';
import { appendTransfers, claimIds, type Authorisation } from './engine.ts';
import { TRANSFER_COLUMNS, readAmount, readUuid, toTransfer } from './ledger.ts';
import type { DeviceSignature } from './tables.ts';
import { readDeviceSession, requesterOf, staffSessionRefused, type TransferRequestResult } from './transferRequest.ts';

export interface ResolveHoldInput {
  /** Client-chosen UUID of the post or void transfer (idempotency key). */
  id: string;
  holdId: string;
  /** post: the amount to settle (<= the hold's), the whole hold when absent. */
  amount?: number | string;
  device?: DeviceSignature;
  /** A device's till session (POST /api/v1/till/open): a till moves money only with one. */
  session?: string;
}

/**
 * Posts or voids a hold (shared by postHold, voidHold and expireHolds). Who may: the node, and the
 * venue credited by the hold (its `till` key, a person with the till role there, or one of its tills
 * with a staff session; never a scanner). A unique index on pending_id makes the resolution happen
 * once, whatever the concurrency.
 */
export async function resolveHold(
  db: Db,
  actor: Actor | null,
  phase: 'post' | 'void',
  input: ResolveHoldInput,
  now = new Date(),
): Promise<TransferRequestResult> {
  const errors = new FieldErrors();
  const id = readUuid(errors, 'id', input.id);
  const holdId = readUuid(errors, 'holdId', input.holdId);
  const amount = phase === 'post' && input.amount !== undefined ? readAmount(errors, 'amount', input.amount) : null;
  errors.throwIfAny();
  if (!actor && !input.device) throw unauthenticated();
  // Who asks is part of the request (rule 4): someone else reusing a resolution's id gets a 409, never
  // the stored post or void (which is answered before authorisation is checked).
  const requestSha256 = sha256Hex(canonicalJson({ op: phase, by: requesterOf(actor, input.device), holdId, amount }));
  const session = input.device ? await readDeviceSession(db, input.device, input.session) : null;
  return inTransaction(db, async (trx) => {
    let authorisation: Authorisation;
    let venue: string | null = null;
    if (input.device) {
      const device = await verifyDeviceRequest(trx, input.device);
      requireTill(device);
      venue = device.placeId;
      authorisation = { by: 'device', authoriserId: device.deviceId, placeId: venue, deviceSignature: input.device };
    } else if (actor!.kind === 'system') {
      authorisation = { by: 'node', authoriserId: '', placeId: null, deviceSignature: null };
    } else {
      authorisation = {
        by: actor!.kind === 'apiKey' ? 'api_key' : 'person',
        authoriserId: actor!.kind === 'apiKey' ? actor!.keyId : actor!.personId,
        placeId: null,
        deviceSignature: null,
      };
    }
    const done = await claimIds(trx, [id], requestSha256);
    if (done) return { transfers: done, replayed: true };
    const holdRow = await trx
      .selectFrom('ledger_transfers')
      .select(TRANSFER_COLUMNS)
      .where('id', '=', holdId)
      .executeTakeFirst();
    if (!holdRow || holdRow.phase !== 'pending') throw new DomainError('not-found', 404, { what: 'hold' });
    const hold = toTransfer(holdRow);
    if (authorisation.by !== 'node') {
      const credit = await trx
        .selectFrom('ledger_accounts')
        .select(['owner_kind', 'owner_ref'])
        .where('id', '=', hold.creditAccountId)
        .executeTakeFirstOrThrow();
      if (credit.owner_kind !== 'place') throw forbidden();
      if (venue !== null) {
        if (venue !== credit.owner_ref) throw forbidden();
        // A till resolves holds only while a staff member's session is open on it.
        const role = session?.value ? await roleOf(trx, session.value.cashierPersonId, venue) : null;
        if (!role || !roleAllows(role, 'till')) throw staffSessionRefused();
      } else {
        await authorize(trx, actor!, credit.owner_ref, 'till');
      }
      authorisation = { ...authorisation, placeId: credit.owner_ref };
    }
    if (phase === 'post' && hold.expiresAt! <= now) throw new DomainError('ledger-hold-expired', 409, { id: holdId });
    return appendTransfers(trx, {
      specs: [
        {
          id,
          phase,
          kind: hold.kind,
          debitAccountId: hold.debitAccountId,
          creditAccountId: hold.creditAccountId,
          amount: phase === 'void' ? hold.amount : (amount ?? hold.amount),
          pendingId: holdId,
          metadata: {},
        },
      ],
      requestSha256,
      batchId: null,
      authorisation,
      claimed: true,
    });
  });
}
