import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { confirmPayment, type ConfirmOutcome } from './confirmPayment.ts';
import { derivedId } from './payWithWallet.ts';
import type { PaymentRow } from './purposes.ts';

/** How a venue's team may record money taken at the door or the desk. */
export const ON_SITE_METHODS: readonly string[] = ['cash', 'card_terminal', 'cheque'];

/** The id of the on-site payment of a subject (derived: opening it twice finds the same row). */
export const onSitePaymentId = (purpose: string, subjectId: string): string => derivedId('on_site', purpose, subjectId);

/**
 * Writes the `pending` on-site payment of a subject, in the caller's transaction (docs/PAYMENTS.md,
 * "On-site payments"). Idempotent: a second call finds the same row.
 */
export async function openOnSitePayment(
  trx: Trx,
  input: {
    purpose: string;
    subjectId: string;
    placeId: string;
    personId: string | null;
    amountCents: number;
    label: string;
  },
): Promise<string> {
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0)
    throw new DomainError('order-not-payable', 409);
  const id = onSitePaymentId(input.purpose, input.subjectId);
  await trx
    .insertInto('payments')
    .values({
      id,
      purpose: input.purpose,
      subject_id: input.subjectId,
      place_id: input.placeId,
      provider: 'on_site',
      amount_cents: input.amountCents,
      person_id: input.personId,
      status: 'pending',
      metadata: JSON.stringify({ label: input.label.slice(0, 250) }),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return id;
}

/**
 * The venue's door team or admin records that the on-site payment of a subject was paid (cash, card
 * terminal, cheque), through `confirmPayment` — the same locked path as every provider: of two
 * concurrent "mark paid", one confirms and the other answers `already`. Only a person with `onsite.pay`
 * (admin, door) of the payment's venue may (403 otherwise, and to every API key). `stillPayable` is asked under the
 * payment's lock (the purpose's rows locked after it, as in any confirmation): when the subject can no
 * longer be paid (its hold ran out), the payment is ended `expired` and 409 `order-not-payable` thrown.
 */
export async function markPaidOnSite(
  db: Db,
  config: Config,
  actor: Actor,
  input: {
    purpose: string;
    subjectId: string;
    method: unknown;
    stillPayable: (trx: Trx, payment: PaymentRow) => Promise<boolean>;
  },
): Promise<{ paymentId: string; outcome: ConfirmOutcome }> {
  const method = input.method;
  if (typeof method !== 'string' || !ON_SITE_METHODS.includes(method)) {
    const errors = new FieldErrors();
    errors.add('method', 'choice');
    errors.throwIfAny();
  }
  const paymentId = onSitePaymentId(input.purpose, input.subjectId);
  const result = await inTransaction(db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', paymentId)
      .forUpdate()
      .executeTakeFirst();
    if (!payment || payment.provider !== 'on_site') throw notFound('payment');
    await authorize(trx, actor, payment.place_id!, 'onsite.pay');
    if (payment.status !== 'pending')
      return { outcome: payment.status === 'expired' || payment.status === 'failed' ? 'ended' : 'already' } as const;
    if (!(await input.stillPayable(trx, payment))) {
      await trx
        .updateTable('payments')
        .set({ status: 'expired', updated_at: sql<Date>`now()` })
        .where('id', '=', paymentId)
        .execute();
      return { outcome: 'ended' } as const;
    }
    const outcome = await confirmPayment(
      trx,
      config,
      actor,
      paymentId,
      {
        providerPaymentId: `on_site:${paymentId}`,
        amountCents: payment.amount_cents,
        currency: payment.currency,
        method: method as string,
      },
      payment,
    );
    return { outcome };
  });
  if (result.outcome === 'ended') throw new DomainError('order-not-payable', 409);
  return { paymentId, outcome: result.outcome };
}

/**
 * Ends the `pending` on-site payments of subjects their purpose just released (an order whose deadline
 * passed), in the caller's transaction (docs/PAYMENTS.md, "On-site payments"). The caller already holds
 * the subjects' rows, so the payment rows are taken `SKIP LOCKED` and this never waits: a payment locked
 * now is being marked paid or cancelled, and that transaction ends it itself once it sees the subject
 * gone. Answers the ids it ended.
 */
export async function expireOnSitePayments(
  trx: Trx,
  purpose: string,
  subjectIds: readonly string[],
): Promise<string[]> {
  if (subjectIds.length === 0) return [];
  const ids = subjectIds.map((s) => onSitePaymentId(purpose, s));
  const rows = await trx
    .updateTable('payments')
    .set({ status: 'expired', updated_at: sql<Date>`now()` })
    .where(
      'id',
      'in',
      trx
        .selectFrom('payments')
        .select('id')
        .where('id', 'in', ids)
        .where('provider', '=', 'on_site')
        .where('status', '=', 'pending')
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'place_id'])
    .execute();
  for (const r of rows)
    await audit(trx, SYSTEM, { placeId: r.place_id, action: 'payment.expired', subjectId: r.id, data: { purpose } });
  return rows.map((r) => r.id);
}
