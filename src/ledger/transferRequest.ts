import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, forbidden, unauthenticated } from '../shared/errors.ts';
import { verifyDeviceRequest } from './deviceSignature.ts';
import { sql } from 'kysely';
import { lockCards } from '../cards/cards.ts';
import {
  advisoryLocksSql,
  appendTransfers,
  sortedIds,
  TRANSFER_ID_LOCKS,
  type AppendContext,
  type Authorisation,
  type TransferSpec,
} from './engine.ts';
import type { Transfer } from './ledger.ts';
import type { DeviceSignature } from './tables.ts';
import { holderOfPass } from './walletPass.ts';

/** Kinds only the node itself may write (corrections of errors, demurrage). */
const SYSTEM_KINDS = new Set(['correction', 'demurrage']);

/** Who sends a request, as it enters the request hash (idempotency is per requester). */
export function requesterOf(actor: Actor | null, device: DeviceSignature | undefined): string {
  if (device) return `device:${device.placeId}:${device.deviceId}`;
  if (!actor) return 'anonymous';
  return actor.kind === 'person' ? `person:${actor.personId}` : actor.kind === 'apiKey' ? `key:${actor.keyId}` : 'node';
}

export interface TransferRequestResult {
  transfers: Transfer[];
  /** True when the same request had already been done: its first result is returned. */
  replayed: boolean;
}

/**
 * The authorisation rules (rule 6) and device check (rule 8) shared by createTransfers and
 * createHold, then the engine. Not a use case of its own: both callers validate their input first.
 */
export async function executeTransferRequest(
  db: Db,
  actor: Actor | null,
  request: {
    specs: TransferSpec[];
    placeId: string | undefined;
    holder: string | undefined;
    device: DeviceSignature | undefined;
    requestSha256: string;
  },
): Promise<TransferRequestResult> {
  const { specs, placeId, requestSha256 } = request;
  if (!actor && !request.device) throw unauthenticated();
  const idLocks = { space: TRANSFER_ID_LOCKS, keys: sortedIds(specs.map((s) => s.id)) };
  // The holder's wallet pass (signed by this node, key in memory) checked before the transaction,
  // its verdict applied in `check`: never while locks are held, and not to a retry (see check).
  const holder =
    request.holder === undefined
      ? null
      : await holderOfPass(db, request.holder).then(
          (id) => ({ id, error: null }),
          (error: unknown) => ({ id: null, error }),
        );
  return inTransaction(db, async (trx) => {
    let authorisation: Authorisation;
    let venue: string | null = null;
    if (request.device) {
      // Verified before anything else: a replayed or forged request is refused and writes nothing.
      // The ids' idempotency locks are taken in the same statement (one round trip fewer).
      const device = await verifyDeviceRequest(trx, request.device, Date.now(), idLocks);
      venue = device.placeId;
      authorisation = { by: 'device', authoriserId: device.deviceId, placeId: venue, deviceSignature: request.device };
    } else if (actor!.kind === 'apiKey') {
      venue = actor!.placeId;
      await authorize(trx, actor!, venue, 'till');
      authorisation = { by: 'api_key', authoriserId: actor!.keyId, placeId: venue, deviceSignature: null };
    } else if (actor!.kind === 'person') {
      if (placeId) {
        venue = placeId;
        await authorize(trx, actor!, venue, 'till');
      }
      authorisation = { by: 'person', authoriserId: actor!.personId, placeId: venue, deviceSignature: null };
    } else {
      authorisation = { by: 'node', authoriserId: '', placeId: placeId ?? null, deviceSignature: null };
    }
    const isSystem = !request.device && actor!.kind === 'system';
    // One statement: the ids' idempotency locks (a device request took them with its nonce) and which
    // accounts of the request are cards'. Those cards are then locked, in id order, before the engine
    // locks any account: the cards module's lock order (docs/CARDS.md), which a link relies on.
    const touched = sortedIds([...new Set(specs.flatMap((s) => [s.debitAccountId, s.creditAccountId]))]);
    const { rows } = await sql<{
      cards: string[];
    }>`with locks as (${request.device ? sql`select 1` : advisoryLocksSql(idLocks)})
      select (select count(*) from locks) as locks, array(select a.owner_ref from ledger_accounts a
        where a.id = any(${touched}::uuid[]) and a.owner_kind = 'card' order by a.owner_ref) as cards`.execute(trx);
    const cards = await lockCards(trx, rows[0]!.cards);

    // Runs only for a new request (a retry returns its first result before): a retry after the
    // holder's pass expired still gets its answer.
    const check = async ({ accounts, currencies, accepted }: AppendContext) => {
      for (const s of specs) {
        const credit = accounts.get(s.creditAccountId)!;
        const debit = accounts.get(s.debitAccountId)!;
        if (credit.ownerKind === 'card') {
          // A linked card spends from its holder's wallet: money sent to its own account would be stranded.
          const card = cards.get(credit.ownerRef);
          if (!card) throw new DomainError('not-found', 404, { what: 'card' });
          if (card.personId !== null) throw new DomainError('ledger-card-linked', 409, { number: card.number });
          if (card.status === 'blocked') throw new DomainError('card-blocked', 403, { number: card.number });
        }
        // A card's own account is debited by the till (its tap) and by its merge, not by a transfer request.
        if (debit.ownerKind === 'card' && !isSystem) throw forbidden();
        // A hold reserves a wallet's money for a payment; a venue's or a card's account is never held.
        if (s.phase === 'pending' && debit.ownerKind !== 'person' && !isSystem) throw forbidden();
      }
      if (isSystem) return;
      // The holder must be present for a venue to debit a wallet.
      if (venue && holder?.error) throw holder.error;
      const holderPersonId = venue ? (holder?.id ?? null) : null;
      const accepts = (currency: { id: string; issuerPlaceId: string | null }, placeId: string) =>
        currency.issuerPlaceId === placeId || accepted.has(`${currency.id}/${placeId}`);
      for (const s of specs) {
        const debit = accounts.get(s.debitAccountId)!;
        const credit = accounts.get(s.creditAccountId)!;
        const currency = currencies.get(debit.currencyId)!;
        // Money is created and destroyed only by mint and burn, never by a transfer request.
        if (debit.ownerKind === 'system' || credit.ownerKind === 'system' || SYSTEM_KINDS.has(s.kind))
          throw forbidden();
        if (credit.ownerKind === 'place' && !accepts(currency, credit.ownerRef)) {
          throw new DomainError('ledger-currency-not-accepted', 403, { currency: currency.code });
        }
        if (venue === null) {
          // A person spends only from their own accounts.
          if (actor!.kind !== 'person' || debit.ownerKind !== 'person' || debit.ownerRef !== actor!.personId)
            throw forbidden();
          continue;
        }
        if (debit.ownerKind === 'place') {
          if (debit.ownerRef !== venue) throw forbidden();
          continue;
        }
        // A venue debits a wallet only in a currency it accepts, only to its own account, only with
        // the holder present. Cards prove presence through the cards module (not yet): refused here.
        if (!accepts(currency, venue))
          throw new DomainError('ledger-currency-not-accepted', 403, { currency: currency.code });
        if (credit.ownerKind !== 'place' || credit.ownerRef !== venue) throw forbidden();
        if (debit.ownerKind !== 'person' || holderPersonId !== debit.ownerRef)
          throw new DomainError('ledger-holder-absent', 403);
      }
    };
    return appendTransfers(trx, {
      specs,
      requestSha256,
      batchId: specs.length > 1 ? specs[0]!.id : null,
      authorisation,
      check,
      // The ids are locked (above); whether they were already written is read with the accounts' locks.
      claimed: 'locked',
      // Which currencies the venue and the venues credited accept, read in the same statement.
      acceptance: { venue },
    });
  });
}
