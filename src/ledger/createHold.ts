import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { readAmount, readKind, readMetadata, readUuid } from './ledger.ts';
import type { DeviceSignature } from './tables.ts';
import { executeTransferRequest, requesterOf, type TransferRequestResult } from './transferRequest.ts';
import { TRANSFER_KINDS } from './createTransfers.ts';

/** A hold lives at most a day; the default suits a bar tab or a checkout. */
export const MAX_HOLD_SECONDS = 86_400;
export const DEFAULT_HOLD_SECONDS = 900;

export interface CreateHoldInput {
  /** Client-chosen UUID of the hold (idempotency key). */
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number | string;
  kind: string;
  /** Seconds until the hold expires (voided by expireHolds). */
  ttlSeconds?: number;
  metadata?: Record<string, unknown>;
  placeId?: string;
  holder?: string;
  device?: DeviceSignature;
  /** A device's till session (POST /api/v1/till/open): a till moves money only with one. */
  session?: string;
}

/**
 * Reserves funds: a pending transfer. The debit account's available balance drops by the amount
 * now (floor checked under lock, as for any debit); postHold or voidHold resolves it exactly once.
 * Same authorisation as createTransfers.
 */
export async function createHold(db: Db, actor: Actor | null, input: CreateHoldInput): Promise<TransferRequestResult> {
  const errors = new FieldErrors();
  const ttl = input.ttlSeconds ?? DEFAULT_HOLD_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_HOLD_SECONDS)
    errors.add('ttlSeconds', 'range', { min: 1, max: MAX_HOLD_SECONDS });
  const spec = {
    id: readUuid(errors, 'id', input.id),
    phase: 'pending' as const,
    debitAccountId: readUuid(errors, 'debitAccountId', input.debitAccountId),
    creditAccountId: readUuid(errors, 'creditAccountId', input.creditAccountId),
    amount: readAmount(errors, 'amount', input.amount),
    kind: readKind(errors, 'kind', input.kind, TRANSFER_KINDS),
    metadata: readMetadata(errors, 'metadata', input.metadata),
    expiresAt: new Date(Date.now() + ttl * 1000),
  };
  const placeId = input.placeId === undefined ? undefined : readUuid(errors, 'placeId', input.placeId);
  errors.throwIfAny();
  // The expiry time is derived, not sent: the request hash covers the ttl the client asked for.
  const { expiresAt: _derived, ...hashed } = spec;
  const requestSha256 = sha256Hex(
    canonicalJson({ op: 'hold', by: requesterOf(actor, input.device), placeId: placeId ?? null, ttl, hold: hashed }),
  );
  return executeTransferRequest(db, actor, {
    specs: [spec],
    placeId,
    holder: input.holder,
    device: input.device,
    session: input.session,
    requestSha256,
  });
}
