import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, forbidden, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { lockFederation } from './federations.ts';
import { findPlaceById } from '../places/index.ts';

export interface AcceptCurrencyInput {
  currencyCode: string;
  /** The venue that will accept the currency. */
  placeId: string;
}

export interface AcceptCurrencyResult {
  code: string;
  placeId: string;
  /** false: the venue already accepted it, nothing was written. */
  added: boolean;
}

/**
 * Makes a venue accept a currency after its creation (a row of ledger_currency_places), audited;
 * idempotent. A venue's own currency needs both venues' consent (docs/LEDGER.md, "Who may move
 * money"): the actor holds `place.settings` at the issuer AND at the accepting venue — a person admin
 * of both, an operator, or the node (an issuer could otherwise make any venue take its currency).
 * A federated euro is accepted by the members of its federation only: a venue outside joins the
 * federation instead (addFederationVenue); for a member that lacks the row, the node adds it. An
 * archived currency is refused.
 */
export async function acceptCurrency(db: Db, actor: Actor, input: AcceptCurrencyInput): Promise<AcceptCurrencyResult> {
  const code = typeof input.currencyCode === 'string' ? input.currencyCode : '';
  if (!isUuid(input.placeId)) throw notFound('venue');
  return inTransaction(db, async (trx) => {
    const currency = await trx
      .selectFrom('ledger_currencies')
      .select(['id', 'code', 'kind', 'status', 'issuer_federation_id', 'issuer_place_id'])
      .where('code', '=', code)
      .executeTakeFirst();
    if (!currency) throw notFound('currency');
    if (currency.issuer_federation_id) {
      if (actor.kind === 'apiKey' || (actor.kind === 'person' && !actor.isOperator)) throw forbidden();
    } else {
      await authorize(trx, actor, currency.issuer_place_id!, 'place.settings');
    }
    const place = await findPlaceById(trx, input.placeId);
    if (!place) throw notFound('venue');
    // The accepting venue's consent (its admins, an operator, the node): checked after the venue is known.
    if (!currency.issuer_federation_id && place.id !== currency.issuer_place_id)
      await authorize(trx, actor, place.id, 'place.settings');
    if (currency.status !== 'active')
      throw new DomainError('ledger-currency-archived', 422, { currency: currency.code });
    if (currency.issuer_federation_id) {
      // Ordered with addFederationVenue on the federation's row: membership cannot change meanwhile.
      await lockFederation(trx, currency.issuer_federation_id);
      const member = await trx
        .selectFrom('ledger_federation_places')
        .select('place_id')
        .where('federation_id', '=', currency.issuer_federation_id)
        .where('place_id', '=', place.id)
        .executeTakeFirst();
      if (!member)
        throw new DomainError('ledger-not-federation-member', 422, { currency: currency.code, venue: place.name });
    }
    const added = await trx
      .insertInto('ledger_currency_places')
      .values({ currency_id: currency.id, place_id: place.id })
      .onConflict((oc) => oc.columns(['currency_id', 'place_id']).doNothing())
      .returning('place_id')
      .executeTakeFirst();
    if (added) {
      await audit(trx, actor, {
        placeId: place.id,
        action: 'ledger.currency.accepted',
        subjectId: currency.id,
        data: { code: currency.code },
      });
    }
    return { code: currency.code, placeId: place.id, added: Boolean(added) };
  });
}
