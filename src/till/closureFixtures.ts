/**
 * A small till world for the closure tests (not loaded by the node): a venue with two points of sale,
 * a paired device, an admin and a cashier, and a `sale` helper that writes till_sales rows and their
 * journal lines through appendJournal — the way the sale engine does, without it.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { SYSTEM, personActor, type PersonActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { inTransaction } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { PlaceRole } from '../db/schema.ts';
import { appendJournal, type JournalLineInput } from './journal.ts';
import type { ArticleKind, PaymentMethod } from './tables.ts';
import { businessDayAt, tillDayOf } from './closureDay.ts';
import { assertDayOpen } from './closeDay.ts';

let counter = 0;

export interface FixtureItem {
  article: string;
  kind?: ArticleKind;
  category?: string | null;
  vat?: number;
  quantity?: number;
  unitCents?: number;
  amountCents?: number;
}
export interface FixturePayment {
  method: PaymentMethod;
  amountCents: number;
  currency?: string;
}
export interface FixtureSale {
  id: string;
  pointId: string;
  businessDay: string;
  lines: JournalLineInput[];
}

export interface ClosureWorld {
  place: { id: string; slug: string };
  admin: PersonActor & { email: string };
  cashier: PersonActor & { email: string };
  pointA: string;
  pointB: string;
  deviceId: string;
  person(role: PlaceRole | null, placeId?: string): Promise<PersonActor & { email: string }>;
  /** A sale at `at` (its business day from the venue's settings), or on `businessDay` when given. */
  sale(input: {
    pointId: string;
    at?: Date;
    businessDay?: string;
    items: FixtureItem[];
    payments: FixturePayment[];
    checkOpen?: boolean;
    /** A sale queued offline whose own day (this one) was closed: booked on `businessDay`, late. */
    lateFromDay?: string;
  }): Promise<FixtureSale>;
  /** The reversal of a sale: its lines negated, on the same point and day. */
  reverse(sale: FixtureSale, options?: { checkOpen?: boolean }): Promise<FixtureSale>;
}

export async function createClosureWorld(db: Db): Promise<ClosureWorld> {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const adminPerson = await ensurePerson(db, `cl-admin-${n}@example.org`, 'fr');
  const place = await createPlace(
    db,
    SYSTEM,
    { slug: `cl-${n}`, name: `Bar ${n}`, timezone: 'Europe/Paris' },
    adminPerson.id,
  );
  const pointA = uuidv7();
  const pointB = uuidv7();
  await db
    .insertInto('pos_points')
    .values([
      { place_id: place.id, id: pointA, name: 'Bar', position: 0 },
      { place_id: place.id, id: pointB, name: 'Entrance', position: 1 },
    ])
    .execute();
  const deviceId = uuidv7();
  const { publicKey } = generateKeyPairSync('ed25519');
  await db
    .insertInto('ledger_devices')
    .values({
      place_id: place.id,
      id: deviceId,
      name: 'Till 1',
      kind: 'till',
      public_key: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    })
    .execute();
  let people = 0;
  const person = async (role: PlaceRole | null, placeId = place.id) => {
    const email = `cl-p${people++}-${n}@example.org`;
    const p = await ensurePerson(db, email, 'en');
    if (role) await db.insertInto('place_members').values({ place_id: placeId, person_id: p.id, role }).execute();
    return { ...personActor(p.id), email };
  };
  const cashier = await person('cashier');
  const settings = await tillDayOf(db, place.id);

  async function write(
    sale: FixtureSale,
    total: number,
    reverses: string | null,
    at: Date,
    checkOpen: boolean,
    lateFromDay: string | null = null,
  ) {
    await inTransaction(db, async (trx) => {
      if (checkOpen) await assertDayOpen(trx, place.id, sale.pointId, sale.businessDay);
      await trx
        .insertInto('till_sales')
        .values({
          id: sale.id,
          place_id: place.id,
          point_id: sale.pointId,
          device_id: deviceId,
          cashier_person_id: cashier.personId,
          request_sha256: 'f'.repeat(64),
          total_cents: total,
          reverses_sale_id: reverses,
          business_day: sale.businessDay,
          result: JSON.stringify({ sale: { id: sale.id } }),
          created_at: at,
          sold_at: lateFromDay ? at : null,
          late_from_day: lateFromDay,
        })
        .execute();
      await appendJournal(trx, place.id, sale.lines, at);
    });
  }

  return {
    place: { id: place.id, slug: place.slug },
    admin: { ...personActor(adminPerson.id), email: adminPerson.email },
    cashier,
    pointA,
    pointB,
    deviceId,
    person,
    async sale({ pointId, at = new Date(), businessDay, items, payments, checkOpen = false, lateFromDay }) {
      const id = uuidv7();
      const day = businessDay ?? businessDayAt(at, settings);
      const common = {
        saleId: id,
        pointId,
        deviceId,
        cashierPersonId: cashier.personId,
        businessDay: day,
        ...(lateFromDay ? { lateFromDay, soldAt: at } : {}),
      };
      const lines: JournalLineInput[] = [
        ...items.map((i) => {
          const quantity = i.quantity ?? 1;
          const amount = i.amountCents ?? quantity * (i.unitCents ?? 0);
          return {
            ...common,
            kind: 'item' as const,
            articleId: articleIdOf(i.article),
            articleName: i.article,
            articleKind: i.kind ?? 'sale',
            categoryName: i.category === undefined ? null : i.category,
            quantity,
            unitPriceCents: i.unitCents ?? null,
            vatRate: i.vat ?? 0,
            amountCents: amount,
          };
        }),
        ...payments.map((p) => ({
          ...common,
          kind: 'payment' as const,
          paymentMethod: p.method,
          amountCents: p.amountCents,
          currencyCode: p.currency ?? null,
        })),
      ];
      const total = lines.filter((l) => l.kind === 'item').reduce((s, l) => s + l.amountCents, 0);
      const paid = lines.filter((l) => l.kind === 'payment').reduce((s, l) => s + l.amountCents, 0);
      if (total !== paid) throw new Error(`unbalanced fixture sale: ${total} ≠ ${paid}`);
      const sale = { id, pointId, businessDay: day, lines };
      await write(sale, total, null, at, checkOpen, lateFromDay ?? null);
      return sale;
    },
    async reverse(original, { checkOpen = false } = {}) {
      const id = uuidv7();
      const lines = original.lines.map((l) => ({
        ...l,
        saleId: id,
        amountCents: -l.amountCents,
        quantity: l.quantity == null ? null : -l.quantity,
      }));
      const sale = { id, pointId: original.pointId, businessDay: original.businessDay, lines };
      await write(
        sale,
        lines.filter((l) => l.kind === 'item').reduce((s, l) => s + l.amountCents, 0),
        original.id,
        new Date(),
        checkOpen,
      );
      return sale;
    },
  };
}

// One stable article id per name within a run, so that lines of the same article group together.
const articleIds = new Map<string, string>();
function articleIdOf(name: string): string {
  let id = articleIds.get(name);
  if (!id) articleIds.set(name, (id = uuidv7()));
  return id;
}
