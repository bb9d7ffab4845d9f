import type Stripe from 'stripe';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { connectedAccountOf } from '../places/index.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { payableStatement, recordSettled } from './payouts.ts';
import type { Payout } from './statements.ts';

/**
 * Pays a venue's statement through Stripe Connect: a Transfer from the platform's balance to the venue's
 * connected account (docs/SETTLEMENT.md, "Payouts and remittances"), in three idempotent steps:
 * 1. claim: the payout row `pending` (one per statement; a second click or a retry finds it);
 * 2. outside any transaction: the transfer of this payout if Stripe already has one (its transfer group
 *    is the payout id), else a new one with the idempotency key `settlement-payout-<id>-<attempt>`;
 * 3. record: posting, payout `paid` with the transfer id.
 * A refusal by Stripe (4xx) marks the payout `failed` — nothing was transferred, the next try uses a
 * new attempt number; an outage or timeout leaves it `pending` (Stripe may have made the transfer): the
 * next try searches the group and repeats the same key, so a transfer is never made twice.
 */
export async function payByStripe(
  db: Db,
  stripe: Stripe | null,
  actor: Actor,
  input: { statementId: unknown },
  now = new Date(),
): Promise<Payout> {
  const claim = await inTransaction(db, async (trx) => {
    const { statement, payout } = await payableStatement(trx, actor, input.statementId, 'to_venue', {
      allowPending: true,
    });
    if (!stripe) throw new DomainError('settlement-stripe-off', 409);
    if (payout && payout.method !== 'stripe')
      throw new DomainError('settlement-already-settled', 409, { id: statement.id });
    const account = await connectedAccountOf(trx, statement.placeId);
    if (!account) throw new DomainError('settlement-no-connected-account', 409, { venue: statement.placeSlug });
    const amount = statement.closingCents;
    if (payout) {
      // A failed attempt was refused by Stripe: the next one gets a new key. A pending one keeps its key.
      const row = await trx
        .updateTable('settlement_payouts')
        .set({
          status: 'pending',
          attempts: payout.status === 'failed' ? payout.attempts + 1 : payout.attempts,
          amount_cents: amount,
          stripe_account: account,
          updated_at: new Date(),
        })
        .where('id', '=', payout.id)
        .returning(['id', 'attempts'])
        .executeTakeFirstOrThrow();
      return { statement, payoutId: row.id, attempt: row.attempts, account, amount };
    }
    const row = await trx
      .insertInto('settlement_payouts')
      .values({
        id: uuidv7(),
        federation_id: statement.federationId,
        statement_id: statement.id,
        place_id: statement.placeId,
        direction: 'to_venue',
        method: 'stripe',
        amount_cents: amount,
        status: 'pending',
        stripe_account: account,
        attempts: 1,
        recorded_by: actor.kind === 'person' ? actor.personId : null,
      })
      .returning(['id', 'attempts'])
      .executeTakeFirstOrThrow();
    return { statement, payoutId: row.id, attempt: row.attempts, account, amount };
  });

  let transfer: Stripe.Transfer;
  try {
    const existing = await stripe!.transfers.list({ transfer_group: claim.payoutId, limit: 10 });
    transfer =
      existing.data.find((t) => t.destination === claim.account && t.amount === claim.amount && !t.reversed) ??
      (await stripe!.transfers.create(
        {
          amount: claim.amount,
          currency: 'eur',
          destination: claim.account,
          transfer_group: claim.payoutId,
          description: `${claim.statement.reference} ${claim.statement.placeName}`.slice(0, 500),
          metadata: { statement: claim.statement.id, payout: claim.payoutId, reference: claim.statement.reference },
        },
        { idempotencyKey: `settlement-payout-${claim.payoutId}-${claim.attempt}` },
      ));
  } catch (error) {
    const e = error as { statusCode?: number; message?: string };
    // 4xx except 409 (a concurrent request with the same key) and 429: Stripe refused, nothing moved.
    const refused =
      typeof e.statusCode === 'number' &&
      e.statusCode >= 400 &&
      e.statusCode < 500 &&
      ![409, 429].includes(e.statusCode);
    await inTransaction(db, (trx) =>
      trx
        .updateTable('settlement_payouts')
        .set({
          ...(refused ? { status: 'failed' as const } : {}),
          last_error: String(e.message ?? error).slice(0, 500),
          updated_at: new Date(),
        })
        .where('id', '=', claim.payoutId)
        .where('status', '=', 'pending')
        .execute(),
    );
    throw new DomainError('settlement-stripe-failed', 502, { message: String(e.message ?? '').slice(0, 200) });
  }

  return inTransaction(db, async (trx) => {
    const { statement, payout } = await payableStatement(trx, actor, claim.statement.id, 'to_venue', {
      allowPending: true,
    });
    if (!payout || payout.id !== claim.payoutId || payout.status !== 'pending')
      throw new DomainError('settlement-payout-pending', 409, { statement: statement.id });
    return recordSettled(trx, actor, statement, {
      direction: 'to_venue',
      method: 'stripe',
      reference: transfer.id,
      paidOn: now.toISOString().slice(0, 10),
      existing: payout,
      stripeAccount: claim.account,
    });
  });
}
