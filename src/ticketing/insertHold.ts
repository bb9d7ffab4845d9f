import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import type { Language } from '../i18n/i18n.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';
import { DomainError } from '../shared/errors.ts';
import { takeSeats, type Holding, type Shortage } from './seats.ts';
import { AUDIT_INTO, auditRow } from './auditRow.ts';
import type { AnswerRow } from './questions.ts';

/**
 * Writing a pending order and taking its seats in one statement: the one way a seat is taken, shared
 * by checkout (placeOrder.ts) and the waiting list's offers (waitingListOffers.ts).
 */

export interface HoldLine {
  /** The order line's id, chosen by the caller (per-ticket answers name it). */
  id: string;
  priceId: string;
  eventId: string;
  eventDateId: string;
  quantity: number;
  unitCents: number;
  discountCents: number;
  vatBp: number;
  /** The price's revision as read: the statement checks it under the row's lock (invariant 22). */
  priceRevision: number;
}

export interface NewHold {
  placeId: string;
  personId: string | null;
  email: string;
  name: string;
  language: Language;
  lines: HoldLine[];
  /** Its use is taken with the seats (and given back with them). */
  promoCodeId: string | null;
  /** An order without an account: its seats count as unconfirmed, up to this share (invariant 21). */
  unconfirmed?: { percent: number } | null;
  holdMinutes: number;
  confirmTokenHash: Buffer | null;
  answers: AnswerRow[];
  actor: Actor | null;
  /** Runs before the order and its seats are written, in the same transaction (mails, links). */
  beforeTaking?: (order: { id: string; reference: string }) => Promise<void>;
}

/** The id and public reference of a new order. */
export function newHoldIds(): { id: string; reference: string } {
  const id = uuidv7();
  return { id, reference: id.replace(/-/g, '').slice(-10).toUpperCase() };
}

/**
 * ONE statement (seats.ts, takeSeats): locks and takes the counters in their fixed order and, only
 * if all of them sufficed, writes the order, its lines, its answers and its audit entry. Nothing is
 * written when something is short. The capacity row is locked for the time the database takes to run
 * this statement (and, outside a transaction, to commit it): no round trip to this process in between.
 */
export async function writeHold(
  db: Db,
  h: NewHold,
  ids: { id: string; reference: string },
): Promise<{ short: Shortage | null; expiresAt: Date | null }> {
  const total = h.lines.reduce((sum, l) => sum + l.unitCents * l.quantity - l.discountCents, 0);
  const holding: Holding = {
    placeId: h.placeId,
    perDate: new Map(),
    perPrice: new Map(),
    promoCodeId: h.promoCodeId,
    unconfirmed: h.unconfirmed ?? null,
    priceRevisions: new Map(h.lines.map((l) => [l.priceId, l.priceRevision])),
  };
  for (const l of h.lines) {
    holding.perDate.set(l.eventDateId, (holding.perDate.get(l.eventDateId) ?? 0) + l.quantity);
    holding.perPrice.set(l.priceId, (holding.perPrice.get(l.priceId) ?? 0) + l.quantity);
  }
  const lines = h.lines.map((l) => ({
    id: l.id,
    price_id: l.priceId,
    event_id: l.eventId,
    event_date_id: l.eventDateId,
    quantity: l.quantity,
    unit_price_cents: l.unitCents,
    discount_cents: l.discountCents,
    vat_rate_bp: l.vatBp,
  }));
  const answers = h.answers.map((a) => ({ id: uuidv7(), ...a }));
  const { short, row } = await takeSeats<{ expires_at: Date | null }>(db, holding, {
    ctes: sql`
      o as (
        insert into orders (place_id, id, reference, person_id, email, name, language, status, total_cents, expires_at, confirm_token_hash, promo_code_id, unconfirmed_hold)
        select ${h.placeId}::uuid, ${ids.id}::uuid, ${ids.reference}, ${h.personId}::uuid, ${h.email}, ${h.name}, ${h.language}, 'pending', ${total}::bigint,
               now() + make_interval(mins => ${h.holdMinutes}::int), ${h.confirmTokenHash}::bytea, ${h.promoCodeId}::uuid, ${Boolean(h.unconfirmed)}
         where (select ok from taking)
        returning expires_at),
      ol as (
        insert into order_lines (place_id, order_id, id, price_id, event_id, event_date_id, quantity, unit_price_cents, discount_cents, vat_rate_bp)
        select ${h.placeId}::uuid, ${ids.id}::uuid, x.id, x.price_id, x.event_id, x.event_date_id, x.quantity, x.unit_price_cents, x.discount_cents, x.vat_rate_bp
          from json_to_recordset(${JSON.stringify(lines)}::json) as x(id uuid, price_id uuid, event_id uuid, event_date_id uuid, quantity int, unit_price_cents bigint, discount_cents bigint, vat_rate_bp int)
         where (select ok from taking)),
      oa as (
        insert into order_answers (place_id, order_id, id, question_id, event_id, line_id, line_rank, label, kind, value)
        select ${h.placeId}::uuid, ${ids.id}::uuid, a.id, a.question_id, a.event_id, a.line_id, a.line_rank, a.label, a.kind, a.value
          from json_to_recordset(${JSON.stringify(answers)}::json) as a(id uuid, question_id uuid, event_id uuid, line_id uuid, line_rank int, label text, kind text, value text)
         where (select ok from taking)),
      au as (
        insert into ${AUDIT_INTO}
        ${auditRow(h.actor ?? SYSTEM, { placeId: h.placeId, action: 'order.placed', subjectId: ids.id, data: { email: h.email, total_cents: total, lines: h.lines.length } })}
         where (select ok from taking))`,
    columns: sql`, (select expires_at from o) as expires_at`,
  }).catch((error: unknown) => {
    // A date deleted by an edit after the order read it (invariant 23): the statement wrote nothing.
    if (isDateGone(error)) throw new DomainError('event-date-removed', 409);
    throw error;
  });
  return { short, expiresAt: row.expires_at };
}

/** The order line's date no longer exists (migration 0033's foreign key), on PostgreSQL and PGlite. */
function isDateGone(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23503' && e.constraint === 'order_lines_event_date_fk';
}

/**
 * Writes a pending order — the order, its lines, its answers and its audit entry — and takes its
 * seats (and promo use) with the conditional counters (docs/TICKETING.md, invariant 1), in the
 * caller's transaction. Returns null when a date, a price or the promo code had not enough left:
 * then nothing was written, and the caller decides (an offer rolls back). Shared by checkout
 * (placeOrder) and the waiting list's offers (offerFreedSeats), so a seat is only ever taken one way.
 */
export async function insertHold(
  trx: Trx,
  h: NewHold,
): Promise<{ id: string; reference: string; totalCents: number; expiresAt: Date } | null> {
  const ids = newHoldIds();
  await h.beforeTaking?.(ids);
  const held = await writeHold(trx, h, ids);
  if (held.short) return null;
  return {
    ...ids,
    totalCents: h.lines.reduce((sum, l) => sum + l.unitCents * l.quantity - l.discountCents, 0),
    expiresAt: held.expiresAt!,
  };
}
