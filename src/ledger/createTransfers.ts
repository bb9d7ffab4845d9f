import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { FieldErrors } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import type { TransferSpec } from './engine.ts';
import { MAX_BATCH, readAmount, readKind, readMetadata, readUuid } from './ledger.ts';
import type { DeviceSignature } from './tables.ts';
import { executeTransferRequest, requesterOf, type TransferRequestResult } from './transferRequest.ts';

/** Kinds a transfer request may carry. Top-ups go through mintAgainstPayment, burns through burnOnRefund. */
export const TRANSFER_KINDS = [
  'payment',
  'refund',
  'payout',
  'transfer',
  'exchange',
  'merge',
  'cash_out',
  'correction',
  'demurrage',
] as const;

export interface TransferInput {
  /** Client-chosen UUID: the idempotency key. */
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  /** Minor units: an integer or a string of digits. */
  amount: number | string;
  kind: string;
  metadata?: Record<string, unknown>;
}

export interface CreateTransfersInput {
  /** One transfer, or several linked ones: all commit or none. */
  transfers: TransferInput[];
  /** The venue acting (a person with the till role at that venue); API keys and devices imply it. */
  placeId?: string;
  /** Wallet pass (QR) of the holder, when a venue debits a person's wallet. */
  holder?: string;
  /** A device-signed request, already read from the headers; verified here. */
  device?: DeviceSignature;
  /** A device's till session (POST /api/v1/till/open): a till moves money only with one. */
  session?: string;
}

export type CreateTransfersResult = TransferRequestResult;

/**
 * Creates one transfer or a linked batch (rules 1–4, 6 and 8 of docs/LEDGER.md). Callable inside
 * another module's transaction. The transfer rows themselves record who authorised them (person,
 * device with its signature, API key or node), so no separate audit entry is written for each.
 */
export async function createTransfers(
  db: Db,
  actor: Actor | null,
  input: CreateTransfersInput,
): Promise<CreateTransfersResult> {
  const errors = new FieldErrors();
  const list = Array.isArray(input.transfers) ? input.transfers : [];
  if (list.length === 0) errors.add('transfers', 'required');
  if (list.length > MAX_BATCH) errors.add('transfers', 'too-many', { max: MAX_BATCH });
  const specs: TransferSpec[] = list.slice(0, MAX_BATCH).map((t, i) => ({
    id: readUuid(errors, `transfers.${i}.id`, t.id),
    phase: 'single',
    debitAccountId: readUuid(errors, `transfers.${i}.debitAccountId`, t.debitAccountId),
    creditAccountId: readUuid(errors, `transfers.${i}.creditAccountId`, t.creditAccountId),
    amount: readAmount(errors, `transfers.${i}.amount`, t.amount),
    kind: readKind(errors, `transfers.${i}.kind`, t.kind, TRANSFER_KINDS),
    metadata: readMetadata(errors, `transfers.${i}.metadata`, t.metadata),
  }));
  const placeId = input.placeId === undefined ? undefined : readUuid(errors, 'placeId', input.placeId);
  errors.throwIfAny();
  // Who asks is part of the request: another person or device reusing an id gets a 409, not someone else's result.
  const requestSha256 = sha256Hex(
    canonicalJson({
      op: 'transfers',
      by: requesterOf(actor, input.device),
      placeId: placeId ?? null,
      transfers: specs,
    }),
  );

  return executeTransferRequest(db, actor, {
    specs,
    placeId,
    holder: input.holder,
    device: input.device,
    session: input.session,
    requestSha256,
  });
}
