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
 * Canonical encoding, version 1: one `|`-separated line; position and previous hash come last because
 * only they are known under the chain head's lock (the database appends them, see ledger_append).
 * This prefix and transferHash are the only definition of the encoding.
 */
export function canonicalPrefix(t: Omit<ChainedFields, 'position'>): string {
  return [
    'rezo-ledger-v1',
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
    '',
  ].join('|');
}

export function transferHash(t: ChainedFields, prevHash: string): string {
  return sha256Hex(`${canonicalPrefix(t)}${t.position}|${prevHash}`);
}

/** The message a checkpoint signature covers. */
export function checkpointMessage(c: { currencyCode: string; position: number; headHash: string; supply: number; signedAt: Date }): string {
  return ['rezo-checkpoint-v1', c.currencyCode, String(c.position), c.headHash, String(c.supply), c.signedAt.toISOString()].join('|');
}
