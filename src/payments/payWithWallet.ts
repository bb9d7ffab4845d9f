import { createHash } from 'node:crypto';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { SYSTEM } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { ownerAccountsAt } from '../ledger/index.ts';
import { createTransfers } from '../ledger/index.ts';
import { ensureAccount } from '../ledger/index.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { confirmPayment } from './confirmPayment.ts';
import type { PaymentRow } from './purposes.ts';

/** Currencies counted in euro cents, spendable for a ticket or a membership (not time nor points). */
const EURO_KINDS: readonly string[] = ['local_euro', 'gift', 'federated_euro'];

/** What a wallet payment took from each of the payer's accounts (kept in the payment's metadata). */
interface Leg {
  transferId: string;
  from: string;
  to: string;
  amount: number;
}

/** A name-based id (version 8 layout): the same input gives the same id, so a retry finds its payment. */
export function derivedId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface WalletPaymentInput {
  purpose: string;
  subjectId: string;
  /** The venue paid: its accounts are credited, in the currencies it accepts. */
  placeId: string;
  amountCents: number;
  label: string;
}

/**
 * Pays a venue from the logged-in person's Rezo wallet (docs/PAYMENTS.md, "Wallet payments"): one
 * transaction holds the payment row, the purpose applied by `confirmPayment` (the order completed, the
 * membership activated) and one ledger request moving the money from the person's accounts accepted at
 * the venue (its own currencies first, then the federation's euro) to the venue's — all or nothing. The
 * payment's id is derived from the purpose and subject, and the transfers' from the payment: a retry
 * finds the payment paid and does nothing more. Two payments that the balance covers only once: the
 * ledger locks the accounts and refuses the second (409), which writes nothing.
 */
export async function payWithWallet(
  db: Db,
  config: Config,
  actor: Actor,
  input: WalletPaymentInput,
): Promise<{ paymentId: string; status: string }> {
  requirePerson(actor);
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0)
    throw new DomainError('validation', 422, {}, [{ field: 'amount', message: 'range' }]);
  const paymentId = derivedId('wallet', input.purpose, input.subjectId);
  return inTransaction(db, async (trx) => {
    await trx
      .insertInto('payments')
      .values({
        id: paymentId,
        purpose: input.purpose,
        subject_id: input.subjectId,
        place_id: input.placeId,
        provider: 'wallet',
        amount_cents: input.amountCents,
        person_id: actor.personId,
        status: 'pending',
        metadata: JSON.stringify({ label: input.label.slice(0, 250) }),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', paymentId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (payment.person_id !== actor.personId) throw notFound('payment');
    if (payment.status !== 'pending') return { paymentId, status: payment.status };
    if (payment.amount_cents !== input.amountCents) throw new DomainError('order-not-payable', 409);
    const legs = await planLegs(trx, actor.personId, input.placeId, paymentId, input.amountCents);
    const locked: PaymentRow = { ...payment, metadata: { ...payment.metadata, legs: JSON.stringify(legs) } };
    await trx
      .updateTable('payments')
      .set({ metadata: JSON.stringify(locked.metadata) })
      .where('id', '=', paymentId)
      .execute();
    // The purpose first (its row locks come after the payment's, as for any confirmation), then the
    // money: if the ledger refuses, the whole transaction rolls back — the order stays unpaid.
    const outcome = await confirmPayment(
      trx,
      config,
      actor,
      paymentId,
      {
        providerPaymentId: `ledger:${legs[0]!.transferId}`,
        amountCents: input.amountCents,
        currency: 'EUR',
        method: 'wallet',
      },
      locked,
    );
    if (outcome !== 'confirmed') throw new DomainError('order-not-payable', 409);
    await createTransfers(trx, actor, {
      transfers: legs.map((l) => ({
        id: l.transferId,
        debitAccountId: l.from,
        creditAccountId: l.to,
        amount: l.amount,
        kind: 'payment',
        metadata: { payment_id: paymentId, purpose: input.purpose },
      })),
    });
    return { paymentId, status: 'paid' };
  });
}

/**
 * How much to take from each account of the person accepted at the venue, as read now (the ledger
 * checks the balances again under its locks): the venue's own currencies first, then the others.
 */
async function planLegs(trx: Trx, personId: string, placeId: string, paymentId: string, amount: number) {
  const accounts = (await ownerAccountsAt(trx, { ownerKind: 'person', ownerRef: personId }, placeId))
    .filter((a) => a.acceptedHere && a.status === 'active' && a.decimals === 2 && EURO_KINDS.includes(a.kind))
    .sort(
      (a, b) =>
        Number(b.issuerPlaceId === placeId) - Number(a.issuerPlaceId === placeId) ||
        EURO_KINDS.indexOf(a.kind) - EURO_KINDS.indexOf(b.kind) ||
        a.code.localeCompare(b.code),
    );
  const legs: Leg[] = [];
  let left = amount;
  for (const account of accounts) {
    if (left === 0) break;
    const available = Math.max(0, account.balance - account.pendingDebits);
    const take = Math.min(left, available);
    if (take <= 0) continue;
    const venue = await ensureAccount(trx, { currencyId: account.currencyId, ownerKind: 'place', ownerRef: placeId });
    legs.push({ transferId: derivedId(paymentId, String(legs.length)), from: account.id, to: venue.id, amount: take });
    left -= take;
  }
  if (left > 0) throw new DomainError('wallet-insufficient', 409, { missing: (left / 100).toFixed(2) });
  return legs;
}

/**
 * Gives back `amountCents` of a wallet payment, in the caller's transaction (queueRefund, under the
 * payment's lock): transfers from the venue's accounts back to the accounts that paid, leg by leg,
 * after what earlier refunds (`alreadyBackCents`) gave back. Answers the first transfer's reference.
 */
export async function refundWalletPayment(
  trx: Trx,
  payment: PaymentRow,
  refundId: string,
  amountCents: number,
  alreadyBackCents: number,
): Promise<string> {
  const legs = JSON.parse(payment.metadata.legs ?? '[]') as Leg[];
  let skip = alreadyBackCents;
  let left = amountCents;
  const back: { id: string; debitAccountId: string; creditAccountId: string; amount: number; kind: string }[] = [];
  for (const leg of legs) {
    const skipped = Math.min(skip, leg.amount);
    skip -= skipped;
    const take = Math.min(left, leg.amount - skipped);
    if (take <= 0) continue;
    back.push({
      id: derivedId(refundId, String(back.length)),
      debitAccountId: leg.to,
      creditAccountId: leg.from,
      amount: take,
      kind: 'refund',
    });
    left -= take;
  }
  if (left > 0 || back.length === 0) throw new DomainError('refund-too-large', 409, { left: 0 });
  await createTransfers(trx, SYSTEM, {
    transfers: back.map((b) => ({ ...b, metadata: { payment_id: payment.id, refund_id: refundId } })),
  });
  return `ledger:${back[0]!.id}`;
}
