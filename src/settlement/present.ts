import { Type } from 'typebox';
import { DateTime, Uuid } from '../http/schemas.ts';
import type { Statement } from './statements.ts';

/** API shape of a statement (docs/SETTLEMENT.md); amounts are signed cents from the venue's side. */
const Money = Type.Integer({ description: 'Signed euro cents, from the venue’s side: + owed to the venue' });

export const StatementSchema = Type.Object(
  {
    id: Uuid,
    reference: Type.String({ description: '<federation slug>-<number>: the statement’s voucher reference' }),
    number: Type.Integer(),
    federation: Type.String(),
    venue: Type.String({ description: 'The venue’s slug' }),
    currency: Type.String(),
    periodStart: Type.Union([DateTime, Type.Null()]),
    periodEnd: DateTime,
    coversTo: Type.String({
      format: 'date-time',
      description: 'periodEnd, or the run’s time when tokens given back after the end were taken too',
    }),
    openingCents: Money,
    tokensCents: Money,
    cashCents: Money,
    feeBps: Type.Integer(),
    feeCents: Type.Integer({ minimum: 0 }),
    closingCents: Money,
    lines: Type.Array(
      Type.Object({
        line: Type.String({
          description: 'till_sales, tickets, memberships, other_received, refunds, other_paid, cash_top_ups, cash_outs',
        }),
        count: Type.Integer(),
        amountCents: Money,
      }),
    ),
    state: Type.String({ description: 'to_pay, to_receive, settled, paid, received, carried' }),
    payout: Type.Union([
      Type.Object({
        direction: Type.String({ description: 'to_venue or from_venue' }),
        method: Type.String({ description: 'sepa or stripe' }),
        status: Type.String({ description: 'pending, paid or failed' }),
        amountCents: Type.Integer(),
        reference: Type.Union([Type.String(), Type.Null()]),
        paidOn: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
      }),
      Type.Null(),
    ]),
    createdAt: DateTime,
    signature: Type.String({
      description:
        'Ed25519 (base64url) by the node key (GET /api/v1/ledger/key) over the message of docs/SETTLEMENT.md',
    }),
  },
  { $id: 'SettlementStatement', title: 'SettlementStatement' },
);

export function presentStatement(s: Statement) {
  return {
    id: s.id,
    reference: s.reference,
    number: s.number,
    federation: s.federationSlug,
    venue: s.placeSlug,
    currency: s.currencyCode,
    periodStart: s.periodStart ? s.periodStart.toISOString() : null,
    periodEnd: s.periodEnd.toISOString(),
    coversTo: s.coversTo.toISOString(),
    openingCents: s.openingCents,
    tokensCents: s.tokensCents,
    cashCents: s.cashCents,
    feeBps: s.feeBps,
    feeCents: s.feeCents,
    closingCents: s.closingCents,
    lines: s.lines,
    state: s.state,
    payout: s.payout
      ? {
          direction: s.payout.direction,
          method: s.payout.method,
          status: s.payout.status,
          amountCents: s.payout.amountCents,
          reference: s.payout.reference,
          paidOn: s.payout.paidOn,
        }
      : null,
    createdAt: s.createdAt.toISOString(),
    signature: s.signature,
  };
}
