import type { Trx } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers, claimIds, type Authorisation } from './engine.ts';
import { ensureAccount } from './ensureAccount.ts';
import { ACCOUNT_COLUMNS, type Currency, type Transfer } from './ledger.ts';

/** How a counter top-up was paid: cash in the drawer, or the venue's own card terminal. */
export type CounterProvider = 'cash' | 'card_terminal';

export interface CounterMintInput {
  /** The transfer's id, derived by the caller from its sale (deterministic: a retry names the same transfer). */
  id: string;
  currency: Currency;
  /** The wallet account credited (a card's or its holder's). */
  accountId: string;
  amount: number;
  /** The venue at whose counter the money is taken. */
  placeId: string;
  deviceId: string;
  cashierPersonId: string;
  /** Required for euro-backed currencies: the euro payment taken, usable once. None for gift credit. */
  payment: { provider: CounterProvider; reference: string } | null;
  authorisation: Authorisation;
  metadata?: Record<string, unknown>;
}

const forbiddenMint = (currency: Currency) =>
  new DomainError('till-currency-not-accepted', 403, { currency: currency.code });

/** May this venue issue this currency at its counter? The federated euro: a member venue; others: their issuer. */
export async function mayMintAtCounter(trx: Trx, currency: Currency, placeId: string): Promise<boolean> {
  if (currency.status !== 'active') return false;
  if (currency.kind === 'federated_euro') {
    const member = await trx
      .selectFrom('ledger_federation_places')
      .select('place_id')
      .where('federation_id', '=', currency.issuerFederationId!)
      .where('place_id', '=', placeId)
      .executeTakeFirst();
    return Boolean(member);
  }
  return currency.issuerPlaceId === placeId && ['local_euro', 'gift'].includes(currency.kind);
}

/**
 * A top-up at a venue's counter, inside the caller's transaction (a till sale): mints `amount` of the
 * currency onto a wallet account (rule 5 of docs/LEDGER.md). A euro-backed currency is minted only
 * against the payment taken at the counter (`cash` or `card_terminal`, reference = the sale and line),
 * recorded in ledger_payment_references with the cashier and the device, usable once; a venue's gift
 * credit is minted without a payment. Claimed through claimIds: a retry returns the first transfer.
 */
export async function mintAtCounter(
  trx: Trx,
  input: CounterMintInput,
): Promise<{ transfer: Transfer; replayed: boolean }> {
  const { currency, payment } = input;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
    throw new DomainError('validation', 422, {}, [{ field: 'amountCents', message: 'range' }]);
  if (!(await mayMintAtCounter(trx, currency, input.placeId))) throw forbiddenMint(currency);
  if (currency.euroBacked && !payment)
    throw new DomainError('validation', 422, {}, [{ field: 'payment', message: 'ledger.payment-required' }]);
  if (!currency.euroBacked && payment) throw forbiddenMint(currency);
  const requestSha256 = sha256Hex(
    canonicalJson({
      op: 'counter-mint',
      currency: currency.code,
      accountId: input.accountId,
      amount: input.amount,
      payment,
      placeId: input.placeId,
    }),
  );
  const done = await claimIds(trx, [input.id], requestSha256);
  if (done) return { transfer: done[0]!, replayed: true };
  const issuance = await ensureAccount(trx, { currencyId: currency.id, ownerKind: 'system', ownerRef: 'issuance' });
  const { transfers } = await appendTransfers(trx, {
    specs: [
      {
        id: input.id,
        phase: 'single',
        kind: 'top_up',
        debitAccountId: issuance.id,
        creditAccountId: input.accountId,
        amount: input.amount,
        metadata: {
          ...(input.metadata ?? {}),
          ...(payment ? { payment: `${payment.provider}:${payment.reference}` } : {}),
        },
      },
    ],
    requestSha256,
    batchId: null,
    authorisation: input.authorisation,
    claimed: true,
    check: ({ accounts }) => {
      const credit = accounts.get(input.accountId)!;
      if (credit.currencyId !== currency.id) throw new DomainError('ledger-currency-mismatch', 422);
      if (credit.ownerKind !== 'person' && credit.ownerKind !== 'card') throw new DomainError('forbidden', 403);
    },
  });
  if (payment) {
    const inserted = await trx
      .insertInto('ledger_payment_references')
      .values({
        // 'card_terminal' is allowed by migration 0012 (PaymentProvider in ledger/tables.ts does not list it yet).
        provider: payment.provider as 'cash',
        reference: payment.reference,
        currency_id: currency.id,
        amount_cents: input.amount,
        transfer_id: input.id,
        place_id: input.placeId,
        cashier_person_id: input.cashierPersonId,
        device_id: input.deviceId,
      })
      .onConflict((oc) => oc.columns(['provider', 'reference']).doNothing())
      .returning('reference')
      .executeTakeFirst();
    if (!inserted) throw new DomainError('ledger-payment-reference-used', 409, { reference: payment.reference });
  }
  return { transfer: transfers[0]!, replayed: false };
}

/**
 * Takes back a counter top-up (the reversal of its sale): burns what was minted, only if it is all
 * still on the account — tokens already spent stay spent, and then the reversal is refused
 * (`till-reversal-spent`). Euro-backed: records the payout (the euros go back out of the drawer or
 * the terminal) against the top-up's payment reference.
 */
export async function unmintAtCounter(
  trx: Trx,
  input: {
    id: string;
    mint: Transfer;
    currency: Currency;
    payout: { provider: CounterProvider; reference: string } | null;
    authorisation: Authorisation;
  },
): Promise<Transfer> {
  const { mint, currency } = input;
  const requestSha256 = sha256Hex(canonicalJson({ op: 'counter-unmint', mint: mint.id, payout: input.payout }));
  const done = await claimIds(trx, [input.id], requestSha256);
  if (done) return done[0]!;
  const account = await trx
    .selectFrom('ledger_accounts')
    .select(ACCOUNT_COLUMNS)
    .where('id', '=', mint.creditAccountId)
    .executeTakeFirstOrThrow();
  const missing = mint.amount - (account.balance - account.pending_debits - (account.floor ?? 0));
  if (missing > 0) throw new DomainError('till-reversal-spent', 422, { missing });
  const { transfers } = await appendTransfers(trx, {
    specs: [
      {
        id: input.id,
        phase: 'single',
        kind: 'refund',
        debitAccountId: mint.creditAccountId,
        creditAccountId: mint.debitAccountId,
        amount: mint.amount,
        metadata: { reverses: mint.id },
      },
    ],
    requestSha256,
    batchId: null,
    authorisation: input.authorisation,
    claimed: true,
    check: ({ accounts }) => {
      const a = accounts.get(mint.creditAccountId)!;
      if (a.balance - a.pendingDebits - (a.floor ?? 0) < mint.amount)
        throw new DomainError('till-reversal-spent', 422, {
          missing: mint.amount - (a.balance - a.pendingDebits - (a.floor ?? 0)),
        });
    },
  });
  if (currency.euroBacked) {
    const ref = await trx
      .selectFrom('ledger_payment_references')
      .select(['provider', 'reference'])
      .where('transfer_id', '=', mint.id)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('ledger_payouts')
      .values({
        provider: (input.payout?.provider ?? ref.provider) as 'cash',
        reference: input.payout?.reference ?? `reversal:${input.id}`,
        payment_provider: ref.provider,
        payment_reference: ref.reference,
        amount_cents: mint.amount,
        transfer_id: input.id,
        place_id: input.authorisation.placeId,
      })
      .execute();
  }
  return transfers[0]!;
}
