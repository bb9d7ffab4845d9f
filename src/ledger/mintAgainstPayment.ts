import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, FieldErrors, forbidden, unauthenticated } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers, claimIds, type Authorisation } from './engine.ts';
import { ensureAccount } from './ensureAccount.ts';
import { getCurrency, readAmount, readUuid, type Transfer } from './ledger.ts';
import type { PaymentProvider } from './tables.ts';

const PROVIDERS: readonly PaymentProvider[] = ['stripe', 'cash', 'transfer', 'demo'];

export interface MintInput {
  /** Client-chosen UUID of the top-up transfer (idempotency key). */
  id: string;
  currencyCode: string;
  /** The account credited (a person's, a card's or a venue's). */
  accountId: string;
  amount: number | string;
  /** Required for euro-backed currencies: the euro payment this mint is made against, usable once. */
  payment?: { provider: PaymentProvider; reference: string };
  /** The venue minting: its own currency, or the federated euro against cash at its counter. */
  placeId?: string;
  /** The device at the counter, for cash top-ups. */
  deviceId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Issues money (rule 5): a `top_up` from the currency's issuance account. The federated euro and
 * local euros are minted only against a recorded euro payment reference, in the same transaction,
 * usable once (its primary key); the node (payments webhook) or a cashier of a member venue
 * recording cash may mint the federated euro; a venue mints only the currencies it issues.
 * The online top-up (Stripe) is the payments module's: its webhook calls this with the node actor.
 */
export async function mintAgainstPayment(
  db: Db,
  actor: Actor,
  input: MintInput,
): Promise<{ transfer: Transfer; replayed: boolean }> {
  const errors = new FieldErrors();
  const id = readUuid(errors, 'id', input.id);
  const accountId = readUuid(errors, 'accountId', input.accountId);
  const amount = readAmount(errors, 'amount', input.amount);
  const placeId =
    input.placeId === undefined
      ? actor.kind === 'apiKey'
        ? actor.placeId
        : null
      : readUuid(errors, 'placeId', input.placeId);
  if (input.payment !== undefined) {
    // A demo payment (pretend money of a development node) backs only the node's own mints.
    if (!PROVIDERS.includes(input.payment.provider) || (input.payment.provider === 'demo' && actor.kind !== 'system'))
      errors.add('payment.provider', 'choice');
    if (typeof input.payment.reference !== 'string' || !input.payment.reference || input.payment.reference.length > 200)
      errors.add('payment.reference', 'required');
  }
  if (input.deviceId !== undefined) readUuid(errors, 'deviceId', input.deviceId);
  errors.throwIfAny();
  if (actor.kind === 'person' && !placeId && !actor.isOperator) throw forbidden();
  const requestSha256 = sha256Hex(
    canonicalJson({
      op: 'mint',
      currency: input.currencyCode,
      accountId,
      amount,
      payment: input.payment ?? null,
      placeId,
      metadata: input.metadata ?? {},
    }),
  );

  return inTransaction(db, async (trx) => {
    const currency = await getCurrency(trx, input.currencyCode);
    if (currency.euroBacked && !input.payment)
      throw new DomainError('validation', 422, {}, [{ field: 'payment', message: 'ledger.payment-required' }]);
    if (actor.kind !== 'system') {
      if (!placeId) throw unauthenticated();
      await authorize(trx, actor, placeId, 'till');
      if (currency.kind === 'federated_euro') {
        // A member venue's cashier records cash received at the counter; card payments come from the payments module.
        const member = await trx
          .selectFrom('ledger_federation_places')
          .select('place_id')
          .where('federation_id', '=', currency.issuerFederationId!)
          .where('place_id', '=', placeId)
          .executeTakeFirst();
        if (!member || input.payment?.provider !== 'cash')
          throw new DomainError('ledger-mint-forbidden', 403, { currency: currency.code });
      } else if (currency.issuerPlaceId !== placeId) {
        throw new DomainError('ledger-mint-forbidden', 403, { currency: currency.code });
      }
    }
    const authorisation: Authorisation =
      actor.kind === 'system'
        ? { by: 'node', authoriserId: '', placeId, deviceSignature: null }
        : actor.kind === 'apiKey'
          ? { by: 'api_key', authoriserId: actor.keyId, placeId, deviceSignature: null }
          : { by: 'person', authoriserId: actor.personId, placeId, deviceSignature: null };

    const done = await claimIds(trx, [id], requestSha256);
    if (done) return { transfer: done[0]!, replayed: true };
    if (input.payment) {
      const used = await trx
        .selectFrom('ledger_payment_references')
        .select('transfer_id')
        .where('provider', '=', input.payment.provider)
        .where('reference', '=', input.payment.reference)
        .executeTakeFirst();
      if (used) throw new DomainError('ledger-payment-reference-used', 409, { reference: input.payment.reference });
    }
    const issuance = await ensureAccount(trx, { currencyId: currency.id, ownerKind: 'system', ownerRef: 'issuance' });
    const { transfers } = await appendTransfers(trx, {
      specs: [
        {
          id,
          phase: 'single',
          kind: 'top_up',
          debitAccountId: issuance.id,
          creditAccountId: accountId,
          amount,
          metadata: {
            ...(input.metadata ?? {}),
            ...(input.payment ? { payment: `${input.payment.provider}:${input.payment.reference}` } : {}),
          },
        },
      ],
      requestSha256,
      batchId: null,
      authorisation,
      claimed: true,
      check: ({ accounts }) => {
        const credit = accounts.get(accountId)!;
        if (credit.currencyId !== currency.id) throw new DomainError('ledger-currency-mismatch', 422);
        if (credit.ownerKind === 'system') throw forbidden();
      },
    });
    if (input.payment) {
      // A concurrent mint with the same reference waits on this primary key, then finds it taken.
      const inserted = await trx
        .insertInto('ledger_payment_references')
        .values({
          provider: input.payment.provider,
          reference: input.payment.reference,
          currency_id: currency.id,
          amount_cents: amount,
          transfer_id: id,
          place_id: placeId,
          cashier_person_id: actor.kind === 'person' ? actor.personId : null,
          device_id: input.deviceId ?? null,
        })
        .onConflict((oc) => oc.columns(['provider', 'reference']).doNothing())
        .returning('reference')
        .executeTakeFirst();
      if (!inserted)
        throw new DomainError('ledger-payment-reference-used', 409, { reference: input.payment.reference });
    }
    await audit(trx, actor, {
      placeId,
      action: 'ledger.minted',
      subjectId: id,
      data: { currency: currency.code, amount, payment: input.payment ?? null },
    });
    return { transfer: transfers[0]!, replayed: false };
  });
}
