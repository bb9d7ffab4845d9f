/**
 * Devices of a venue (tills and scanners, kept by the ledger: src/ledger/devices.ts) and their one-time pairing codes.
 * Protocol and codes: docs/POINTS-OF-SALE.md.
 */
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { sha256Hex } from '../shared/secrets.ts';
import { ledgerDevicesOf, type LedgerDevice } from '../ledger/index.ts';

export type DeviceKind = 'till' | 'scanner';
export const DEVICE_KINDS: readonly DeviceKind[] = ['till', 'scanner'];

/** A pairing code is valid this long after it is shown. */
export const PAIRING_TTL_MS = 10 * 60_000;

/**
 * 31 letters and digits without the ones people mix up (0/O, 1/I/L): 8 of them are about 40 bits,
 * typed as two groups of four ("K7QM-3XHD"). A code lives 10 minutes, is used once, and pairing
 * attempts are rate-limited per client address, so guessing one is hopeless.
 */
export const PAIRING_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;

/** A new random code, formatted for people: "ABCD-EFGH". */
export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What was typed → the 8 significant characters (upper case, no spaces or dashes), or null if it cannot be a code. */
export function normalizePairingCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s\-_.]/g, '');
  if (code.length !== PAIRING_CODE_LENGTH) return null;
  for (const c of code) if (!PAIRING_ALPHABET.includes(c)) return null;
  return code;
}

/** What the database keeps of a code: the SHA-256 (hex) of its normalised form. */
export const pairingCodeHash = (normalized: string): string => sha256Hex(normalized);

export const pairingCodeRefused = () => new DomainError('device-pairing-code', 404);

/** A device of a venue, as the ledger keeps it (src/ledger/devices.ts). */
export type Device = LedgerDevice;

/** A device name: 1 to 80 characters once trimmed. */
export function readDeviceName(errors: FieldErrors, raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (!name) errors.add('name', 'required');
  else if (name.length > 80) errors.add('name', 'too-long', { max: 80 });
  return name;
}

/** The devices of a venue, newest first; revoked ones included (they stay in the history of sales). */
export const devicesOf = (db: Db, placeId: string): Promise<Device[]> => ledgerDevicesOf(db, placeId);

export interface PendingPairing {
  kind: DeviceKind;
  name: string;
  expiresAt: Date;
  createdAt: Date;
}

/** Codes of a venue still waiting to be used (the codes themselves are never kept). */
export async function pendingPairingsOf(db: Db, placeId: string): Promise<PendingPairing[]> {
  const rows = await db
    .selectFrom('device_pairings')
    .select(['kind', 'name', 'expires_at', 'created_at'])
    .where('place_id', '=', placeId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({ kind: r.kind, name: r.name, expiresAt: r.expires_at, createdAt: r.created_at }));
}
