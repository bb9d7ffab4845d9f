import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize, requirePerson } from '../access/permissions.ts';
import { eventDatesByIds } from '../agenda/index.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { markPaidOnSite, openOnSitePayment } from '../payments/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { DoorActor } from './checkIn.ts';
import { queueOnSiteMail } from './onSiteMail.ts';
import { placeOrder, type PlaceOrderInput, type PlacedOrder } from './placeOrder.ts';

/** Whether a venue lets buyers pay on site, and how long such an order is held at most (null: until its date). */
export async function onSitePaymentOf(db: Db, placeId: string): Promise<{ holdHours: number | null } | null> {
  const row = await db
    .selectFrom('on_site_payment_settings')
    .select('hold_hours')
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  return row ? { holdHours: row.hold_hours } : null;
}

/**
 * The venue's admin turns "paiement sur place" on (with the longest hold, in hours, or null: until the
 * order's earliest date starts) or off (docs/TICKETING.md, "Paying on site"). Orders already held keep
 * their deadline.
 */
export async function setOnSitePayment(
  db: Db,
  actor: Actor,
  input: { slug: string; enabled: boolean; holdHours: unknown },
): Promise<{ enabled: boolean; holdHours: number | null }> {
  const hours = input.holdHours ?? null;
  if (hours !== null && !(Number.isInteger(hours) && (hours as number) >= 1 && (hours as number) <= 720)) {
    const errors = new FieldErrors();
    errors.add('holdHours', 'range-between', { min: 1, max: 720 });
    errors.throwIfAny();
  }
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.settings');
    if (!input.enabled) await trx.deleteFrom('on_site_payment_settings').where('place_id', '=', place.id).execute();
    else
      await trx
        .insertInto('on_site_payment_settings')
        .values({ place_id: place.id, hold_hours: hours as number | null })
        .onConflict((oc) =>
          oc.column('place_id').doUpdateSet({ hold_hours: hours as number | null, updated_at: sql<Date>`now()` }),
        )
        .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'place.on-site-payment',
      subjectId: place.id,
      data: { enabled: input.enabled, hold_hours: hours },
    });
    return { enabled: input.enabled, holdHours: input.enabled ? (hours as number | null) : null };
  });
}

/**
 * The logged-in buyer chooses "Payer sur place" (docs/TICKETING.md, "Paying on site"). Refused with
 * 409 `on-site-not-allowed` before anything is held when the venue does not allow it. Otherwise the
 * order is placed like any other (its seats taken), then — under the order's lock, the setting read
 * again — held until its deadline with a `pending` payment of provider `on_site`. A free order needs
 * no payment and is answered as placed.
 */
export async function placeOrderOnSite(
  db: Db,
  config: Config,
  actor: Actor | null,
  input: Omit<PlaceOrderInput, 'canTakePayments'>,
): Promise<PlacedOrder> {
  requirePerson(actor);
  const place = await getPlaceBySlug(db, input.slug);
  if (!(await onSitePaymentOf(db, place.id))) throw new DomainError('on-site-not-allowed', 409);
  const placed = await placeOrder(db, config, actor, input);
  if (placed.totalCents === 0) return placed;
  const expiresAt = await inTransaction(db, async (trx) => {
    const order = await trx
      .selectFrom('orders')
      .select(['id', 'status', 'expires_at'])
      .where('place_id', '=', placed.placeId)
      .where('id', '=', placed.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const setting = await onSitePaymentOf(trx, placed.placeId);
    // Turned off meanwhile: the order stays an ordinary hold of a few minutes.
    if (!setting) throw new DomainError('on-site-not-allowed', 409);
    if (order.status !== 'pending' || order.expires_at <= new Date()) throw new DomainError('order-not-payable', 409);
    const lines = await trx
      .selectFrom('order_lines')
      .select('event_date_id')
      .where('place_id', '=', placed.placeId)
      .where('order_id', '=', placed.id)
      .execute();
    const starts = [
      ...(
        await eventDatesByIds(
          trx,
          lines.map((l) => l.event_date_id),
        )
      ).values(),
    ].map((d) => d.startsAt.getTime());
    const deadline = Math.min(
      ...starts,
      setting.holdHours === null ? Infinity : Date.now() + setting.holdHours * 3_600_000,
    );
    if (!Number.isFinite(deadline) || deadline <= Date.now()) throw new DomainError('order-not-payable', 409);
    await openOnSitePayment(trx, {
      purpose: 'order',
      subjectId: placed.id,
      placeId: placed.placeId,
      personId: placed.personId,
      amountCents: placed.totalCents,
      label: `${placed.placeName} — ${placed.reference}`,
    });
    const at = new Date(deadline);
    await trx
      .updateTable('orders')
      .set({ expires_at: at })
      .where('place_id', '=', placed.placeId)
      .where('id', '=', placed.id)
      .execute();
    // Told at once, with the order (and only if it is held): not paid yet, pay before the deadline.
    await queueOnSiteMail(trx, config, { ...placed, expiresAt: at, timezone: place.timezone });
    return at;
  });
  return { ...placed, expiresAt };
}

/**
 * The venue's door team or admin marks an order held for payment on site as paid (cash, card
 * terminal, cheque): `markPaidOnSite` → `confirmPayment` → the order completed and its tickets issued
 * once. Refused (409 `order-not-payable`) once the hold ran out, even before the release job ran.
 * Only people of the venue's team with `onsite.pay` (door, admin): never an API key nor a scanner (403).
 */
export async function markOrderPaidOnSite(
  db: Db,
  config: Config,
  actor: DoorActor,
  input: { orderId: unknown; method: unknown },
): Promise<{ paymentId: string; outcome: string }> {
  // A paired scanner lets guests in; it never says money was received (docs/TICKETING.md, "Paying on site").
  if (actor.kind === 'scannerDevice') throw new DomainError('on-site-people-only', 403);
  if (typeof input.orderId !== 'string' || !isUuid(input.orderId)) throw notFound('order');
  const orderId = input.orderId;
  return markPaidOnSite(db, config, actor, {
    purpose: 'order',
    subjectId: orderId,
    method: input.method,
    stillPayable: async (trx, payment) => {
      const order = await trx
        .selectFrom('orders')
        .select(['status', sql<boolean>`expires_at > now()`.as('live')])
        .where('place_id', '=', payment.place_id!)
        .where('id', '=', orderId)
        .forUpdate()
        .executeTakeFirst();
      // By the database's clock, as the release job reads it.
      return order !== undefined && order.status === 'pending' && order.live;
    },
  });
}
