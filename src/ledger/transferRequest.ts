import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, forbidden, unauthenticated } from '../shared/errors.ts';
import { verifyDeviceRequest } from './deviceSignature.ts';
import { appendTransfers, claimIds, type AppendContext, type Authorisation, type TransferSpec } from './engine.ts';
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
  request: { specs: TransferSpec[]; placeId: string | undefined; holder: string | undefined; device: DeviceSignature | undefined; requestSha256: string },
): Promise<TransferRequestResult> {
  const { specs, placeId, requestSha256 } = request;
  if (!actor && !request.device) throw unauthenticated();
  return inTransaction(db, async (trx) => {
    let authorisation: Authorisation;
    let venue: string | null = null;
    if (request.device) {
      // Verified before anything else: a replayed or forged request is refused and writes nothing.
      const device = await verifyDeviceRequest(trx, request.device);
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

    const done = await claimIds(trx, specs.map((s) => s.id), requestSha256);
    if (done) return { transfers: done, replayed: true };
    // The holder must be present for a venue to debit a wallet: checked once, before any lock.
    const holderPersonId = venue && request.holder !== undefined ? await holderOfPass(trx, request.holder) : null;

    const check = async ({ accounts, currencies }: AppendContext) => {
      if (isSystem) return;
      // Which (currency, venue) pairs are accepted, read once for the whole request.
      const places = [...new Set([...(venue ? [venue] : []), ...[...accounts.values()].filter((a) => a.ownerKind === 'place').map((a) => a.ownerRef)])];
      const accepted = new Set(
        places.length === 0 ? [] : (await trx.selectFrom('ledger_currency_places').select(['currency_id', 'place_id'])
          .where('currency_id', 'in', [...currencies.keys()]).where('place_id', 'in', places).execute()).map((r) => `${r.currency_id}/${r.place_id}`),
      );
      const accepts = (currency: { id: string; issuerPlaceId: string | null }, placeId: string) => currency.issuerPlaceId === placeId || accepted.has(`${currency.id}/${placeId}`);
      for (const s of specs) {
        const debit = accounts.get(s.debitAccountId)!;
        const credit = accounts.get(s.creditAccountId)!;
        const currency = currencies.get(debit.currencyId)!;
        // Money is created and destroyed only by mint and burn, never by a transfer request.
        if (debit.ownerKind === 'system' || credit.ownerKind === 'system' || SYSTEM_KINDS.has(s.kind)) throw forbidden();
        if (credit.ownerKind === 'place' && !accepts(currency, credit.ownerRef)) {
          throw new DomainError('ledger-currency-not-accepted', 403, { currency: currency.code });
        }
        if (venue === null) {
          // A person spends only from their own accounts.
          if (actor!.kind !== 'person' || debit.ownerKind !== 'person' || debit.ownerRef !== actor!.personId) throw forbidden();
          continue;
        }
        if (debit.ownerKind === 'place') {
          if (debit.ownerRef !== venue) throw forbidden();
          continue;
        }
        // A venue debits a wallet only in a currency it accepts, only to its own account, only with
        // the holder present. Cards prove presence through the cards module (not yet): refused here.
        if (!accepts(currency, venue)) throw new DomainError('ledger-currency-not-accepted', 403, { currency: currency.code });
        if (credit.ownerKind !== 'place' || credit.ownerRef !== venue) throw forbidden();
        if (debit.ownerKind !== 'person' || holderPersonId !== debit.ownerRef) throw new DomainError('ledger-holder-absent', 403);
      }
    };
    return appendTransfers(trx, {
      specs,
      requestSha256,
      batchId: specs.length > 1 ? specs[0]!.id : null,
      authorisation,
      check,
      claimed: true,
    });
  });
}
