import type { Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import { SYSTEM } from '../access/actor.ts';
import type { Reversal } from '../payments/index.ts';
import { releaseSeats, type Holding } from './seats.ts';
import { transitionOrder } from './orderState.ts';

interface PricedTicket {
  id: string;
  status: string;
  event_date_id: string;
  price_id: string;
  /** The ticket's share of its line's total after discount (largest remainder over the line's seats). */
  cents: number;
}

/**
 * Money of a paid order was taken back outside Rezo — a refund made in Stripe, a lost chargeback
 * (docs/TICKETING.md invariant 18, docs/PAYMENTS.md "Reversals"). Runs under the payment's lock (the
 * caller's), then the order's: wholly taken back → the order is `refunded` with every valid ticket,
 * their seats and its promo use given back; partly → the valid tickets the money taken back wholly
 * pays for (what is not yet matched by refunded tickets, spent dearest first) become `refunded` and
 * their seats are given back, the order stays `paid`. An order that is no longer paid (cancelled by
 * the venue, never completed) has nothing left to undo.
 */
export async function reverseOrderPayment(
  trx: Trx,
  payment: { id: string; subject_id: string; received_cents: number | null },
  reversal: Reversal,
): Promise<Record<string, unknown>> {
  const order = await trx
    .selectFrom('orders')
    .select(['place_id', 'id', 'status', 'payment_id', 'promo_code_id'])
    .where('id', '=', payment.subject_id)
    .forUpdate()
    .executeTakeFirst();
  if (!order || order.payment_id !== payment.id || order.status !== 'paid') return { tickets_refunded: 0 };
  const tickets = await pricedTickets(trx, order.place_id, order.id);
  const whole = reversal.reversedCents >= (payment.received_cents ?? 0);
  const valid = tickets.filter((k) => k.status === 'valid');
  let chosen: PricedTicket[];
  if (whole) chosen = valid;
  else {
    let budget =
      reversal.reversedCents - tickets.filter((k) => k.status === 'refunded').reduce((s, k) => s + k.cents, 0);
    chosen = [];
    for (const k of [...valid].sort((a, b) => b.cents - a.cents || (a.id < b.id ? -1 : 1))) {
      if (k.cents > budget) continue;
      chosen.push(k);
      budget -= k.cents;
    }
  }
  if (chosen.length > 0)
    await trx
      .updateTable('tickets')
      .set({ status: 'refunded' })
      .where('place_id', '=', order.place_id)
      .where(
        'id',
        'in',
        chosen.map((k) => k.id),
      )
      .where('status', '=', 'valid')
      .execute();
  const holding: Holding = {
    placeId: order.place_id,
    perDate: new Map(),
    perPrice: new Map(),
    promoCodeId: whole ? order.promo_code_id : null,
  };
  for (const k of chosen) {
    holding.perDate.set(k.event_date_id, (holding.perDate.get(k.event_date_id) ?? 0) + 1);
    holding.perPrice.set(k.price_id, (holding.perPrice.get(k.price_id) ?? 0) + 1);
  }
  await releaseSeats(trx, holding);
  const data = { kind: reversal.kind, reference: reversal.reference, tickets: chosen.map((k) => k.id) };
  if (whole) await transitionOrder(trx, SYSTEM, order, 'refunded', data);
  else if (chosen.length > 0)
    await audit(trx, SYSTEM, { placeId: order.place_id, action: 'order.tickets-refunded', subjectId: order.id, data });
  return { tickets_refunded: chosen.length, order: whole ? 'refunded' : 'paid' };
}

/** An order's tickets with each one's price: its line's total after discount, shared out over its seats. */
async function pricedTickets(trx: Trx, placeId: string, orderId: string): Promise<PricedTicket[]> {
  const rows = await trx
    .selectFrom('tickets as k')
    .innerJoin('order_lines as l', (j) => j.onRef('l.place_id', '=', 'k.place_id').onRef('l.id', '=', 'k.line_id'))
    .select([
      'k.id',
      'k.status',
      'k.event_date_id',
      'k.price_id',
      'k.line_id',
      'l.quantity',
      'l.unit_price_cents',
      'l.discount_cents',
    ])
    .where('k.place_id', '=', placeId)
    .where('k.order_id', '=', orderId)
    .orderBy('k.id')
    .execute();
  const rank = new Map<string, number>();
  return rows.map((r) => {
    const net = r.unit_price_cents * r.quantity - r.discount_cents;
    const i = rank.get(r.line_id) ?? 0;
    rank.set(r.line_id, i + 1);
    const cents = Math.floor(net / r.quantity) + (i < net % r.quantity ? 1 : 0);
    return { id: r.id, status: r.status, event_date_id: r.event_date_id, price_id: r.price_id, cents };
  });
}
