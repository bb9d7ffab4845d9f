import { createHash } from 'node:crypto';
import type { DeviceSignature, TransferPhase } from './tables.ts';

/** The hash before the first transfer of a currency. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted recursively: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The fields of a transfer that its hash covers (docs/LEDGER.md, "Canonical encoding"). */
export interface ChainedFields {
  currencyCode: string;
  position: number;
  id: string;
  phase: TransferPhase;
  kind: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  pendingId: string | null;
  batchId: string | null;
  createdAt: Date;
  authorisedBy: string;
  authoriserId: string;
  metadata: Record<string, unknown>;
  deviceSignature: DeviceSignature | null;
}

/**
 * Canonical encoding, version 1 (legacy chain, transfers written before migration 0014): one
 * `|`-separated line ending with position and previous hash. Kept to verify those transfers.
 */
export function canonicalPrefix(t: Omit<ChainedFields, 'position'>): string {
  return ['rezo-ledger-v1', ...canonicalFields(t), ''].join('|');
}

function canonicalFields(t: Omit<ChainedFields, 'position'>): string[] {
  return [
    t.currencyCode,
    t.id,
    t.phase,
    t.kind,
    t.debitAccountId,
    t.creditAccountId,
    String(t.amount),
    t.pendingId ?? '',
    t.batchId ?? '',
    t.createdAt.toISOString(),
    t.authorisedBy,
    t.authoriserId,
    sha256Hex(canonicalJson(t.metadata)),
    t.deviceSignature ? sha256Hex(canonicalJson(t.deviceSignature)) : '',
  ];
}

/** Legacy chain (encoding v1, transfers written before migration 0014). */
export function transferHash(t: ChainedFields, prevHash: string): string {
  return sha256Hex(`${canonicalPrefix(t)}${t.position}|${prevHash}`);
}

/**
 * Canonical encoding, version 2 (transfers sealed in blocks): the same fields as v1 without position
 * and previous hash, so the hash is known when the transfer is written, before any sealing.
 */
export function transferOwnHash(t: Omit<ChainedFields, 'position'>): string {
  return sha256Hex(['rezo-ledger-v2', ...canonicalFields(t)].join('|'));
}

/** Hash over a block's transfers: their own hashes, in block order. */
export function blockTransfersHash(transferHashes: readonly string[]): string {
  return sha256Hex(['rezo-block-transfers-v1', ...transferHashes].join('\n'));
}

/** The fields a block's hash covers (docs/LEDGER.md, "Canonical encoding"). */
export interface BlockFields {
  currencyCode: string;
  number: number;
  prevHash: string;
  firstPosition: number;
  lastPosition: number;
  transferCount: number;
  transfersHash: string;
  supply: number;
  sealedAt: Date;
}

export function blockHash(b: BlockFields): string {
  return sha256Hex(
    [
      'rezo-block-v1',
      b.currencyCode,
      String(b.number),
      b.prevHash,
      String(b.firstPosition),
      String(b.lastPosition),
      String(b.transferCount),
      b.transfersHash,
      String(b.supply),
      b.sealedAt.toISOString(),
    ].join('|'),
  );
}

/**
 * The message a checkpoint signature covers. Version 2 (a block: `block` set) since migration 0014;
 * version 1 (a legacy chain position) for checkpoints signed before.
 */
export function checkpointMessage(c: {
  currencyCode: string;
  block?: number | null;
  position: number;
  headHash: string;
  supply: number;
  signedAt: Date;
}): string {
  if (c.block === undefined || c.block === null) {
    return [
      'rezo-checkpoint-v1',
      c.currencyCode,
      String(c.position),
      c.headHash,
      String(c.supply),
      c.signedAt.toISOString(),
    ].join('|');
  }
  return [
    'rezo-checkpoint-v2',
    c.currencyCode,
    String(c.block),
    String(c.position),
    c.headHash,
    String(c.supply),
    c.signedAt.toISOString(),
  ].join('|');
}
