import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, forbidden, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { takeLocks } from '../db/locks.ts';
import { ensureAccount } from './ensureAccount.ts';
import { lockFederation } from './federations.ts';
import { getCurrency, type Currency } from './ledger.ts';
import type { CurrencyKind } from './tables.ts';
import { placesByIds } from '../places/index.ts';

export const CURRENCY_KINDS: readonly CurrencyKind[] = [
  'federated_euro',
  'local_euro',
  'gift',
  'time',
  'loyalty',
  'membership',
];

export interface CreateCurrencyInput {
  code: string;
  name: string;
  kind: CurrencyKind;
  /** Minor units: 2 for euros (cents), 0 for points and badges, 2 for hours in hundredths. */
  decimals: number;
  /** federated_euro: the federation issuing it (accepted by all its venues). */
  federationId?: string;
  /** Other kinds: the issuing venue. */
  issuerPlaceId?: string;
  /** Other venues that accept it (the issuer always does). For a federated euro: members only. */
  acceptedByPlaceIds?: string[];
}

/**
 * Creates a currency, its chain head and its issuance account. The federated euro is created by the
 * node; a venue admin creates the venue's own currencies, accepted at creation by other venues only
 * where the actor may consent for them too (`place.settings` there). A federated euro is accepted by the
 * federation's members at that time (its row locked, as addFederationVenue does, so a venue joining
 * meanwhile is not missed); venues joining later accept it through addFederationVenue, and other
 * venues accept a venue's currency later through acceptCurrency.
 */
export async function createCurrency(db: Db, actor: Actor, input: CreateCurrencyInput): Promise<Currency> {
  const errors = new FieldErrors();
  if (!/^[A-Z0-9]{2,12}$/.test(input.code ?? '')) errors.add('code', 'format');
  if (!input.name || input.name.length > 80) errors.add('name', 'required');
  if (!CURRENCY_KINDS.includes(input.kind)) errors.add('kind', 'choice');
  if (!Number.isInteger(input.decimals) || input.decimals < 0 || input.decimals > 6)
    errors.add('decimals', 'range', { min: 0, max: 6 });
  if (input.kind === 'federated_euro' ? !input.federationId : !input.issuerPlaceId)
    errors.add(input.kind === 'federated_euro' ? 'federationId' : 'issuerPlaceId', 'required');
  if ((input.kind === 'federated_euro' || input.kind === 'local_euro') && input.decimals !== 2)
    errors.add('decimals', 'ledger.euro-decimals');
  if (input.kind === 'federated_euro' && input.federationId && !isUuid(input.federationId))
    errors.add('federationId', 'format');
  if (input.kind !== 'federated_euro' && input.issuerPlaceId && !isUuid(input.issuerPlaceId))
    errors.add('issuerPlaceId', 'format');
  errors.throwIfAny();
  const acceptedBy = [...new Set(input.acceptedByPlaceIds ?? [])];
  if (acceptedBy.some((p) => !isUuid(p))) throw notFound('venue');
  return inTransaction(db, async (trx) => {
    if (input.kind === 'federated_euro') {
      if (actor.kind === 'apiKey' || (actor.kind === 'person' && !actor.isOperator)) throw forbidden();
    } else {
      await authorize(trx, actor, input.issuerPlaceId!, 'place.settings');
      // Every other venue accepting it consents too, as for acceptCurrency (its admins, an operator, the node).
      for (const placeId of acceptedBy)
        if (placeId !== input.issuerPlaceId) await authorize(trx, actor, placeId, 'place.settings');
    }
    await takeLocks(trx, { space: 'ledgerNames', keys: [`currency:${input.code}`] });
    const exists = await trx
      .selectFrom('ledger_currencies')
      .select('id')
      .where('code', '=', input.code)
      .executeTakeFirst();
    if (exists) throw new DomainError('validation', 422, {}, [{ field: 'code', message: 'ledger.code-taken' }]);
    const places = [...new Set([...acceptedBy, ...(input.kind === 'federated_euro' ? [] : [input.issuerPlaceId!])])];
    if (places.length > 0) {
      const known = await placesByIds(trx, places);
      if (known.length !== places.length) throw notFound('venue');
    }
    const accepted = new Set(acceptedBy);
    if (input.kind === 'federated_euro') {
      await lockFederation(trx, input.federationId!);
      const token = await trx
        .selectFrom('ledger_currencies')
        .select('code')
        .where('issuer_federation_id', '=', input.federationId!)
        .where('kind', '=', 'federated_euro')
        .executeTakeFirst();
      if (token)
        throw new DomainError('validation', 422, {}, [
          { field: 'federationId', message: 'ledger.federation-has-euro', params: { code: token.code } },
        ]);
      const members = new Set(
        (
          await trx
            .selectFrom('ledger_federation_places')
            .select('place_id')
            .where('federation_id', '=', input.federationId!)
            .execute()
        ).map((m) => m.place_id),
      );
      // A venue outside the federation does not accept its euro: it joins the federation.
      if (acceptedBy.some((p) => !members.has(p)))
        throw new DomainError('validation', 422, {}, [
          { field: 'acceptedByPlaceIds', message: 'ledger.not-federation-member' },
        ]);
      for (const m of members) accepted.add(m);
    } else {
      accepted.add(input.issuerPlaceId!);
    }
    const id = uuidv7();
    await trx
      .insertInto('ledger_currencies')
      .values({
        id,
        code: input.code,
        name: input.name,
        kind: input.kind,
        decimals: input.decimals,
        euro_backed: input.kind === 'federated_euro' || input.kind === 'local_euro',
        issuer_federation_id: input.kind === 'federated_euro' ? input.federationId! : null,
        issuer_place_id: input.kind === 'federated_euro' ? null : input.issuerPlaceId!,
      })
      .execute();
    await trx.insertInto('ledger_chain_heads').values({ currency_id: id }).execute();
    for (const placeId of accepted)
      await trx.insertInto('ledger_currency_places').values({ currency_id: id, place_id: placeId }).execute();
    await ensureAccount(trx, { currencyId: id, ownerKind: 'system', ownerRef: 'issuance' });
    await audit(trx, actor, {
      placeId: input.issuerPlaceId ?? null,
      action: 'ledger.currency.created',
      subjectId: id,
      data: { code: input.code, kind: input.kind },
    });
    return getCurrency(trx, input.code);
  });
}
