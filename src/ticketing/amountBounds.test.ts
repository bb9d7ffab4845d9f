import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { createEmptyDatabase, countRows } from '../../test/testDatabase.ts';
import { listMigrations, migrate } from '../db/migrate.ts';
import { personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { addMembership } from '../memberships/addMembership.ts';
import { buyMembership } from '../memberships/buyMembership.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { importMembers } from '../memberships/importMembers.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { parseCsv } from '../shared/csv.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { amountField, quantityField } from './eventTickets.ts';
import { placeOrder } from './placeOrder.ts';
import { eventSelling, eventWithDates } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

/** The field errors of a refusal, as `field:message`. */
async function faults(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof DomainError) return e.fields.map((f) => `${f.field}:${f.message}`);
    throw e;
  }
  return [];
}
const countOf = async (table: 'orders' | 'memberships' | 'membership_products' | 'ticket_prices') =>
  countRows(t.db, table);
/** A statement the database must refuse with a CHECK violation. */
async function checkRefuses(statement: Promise<unknown>) {
  await assert.rejects(statement, (e: unknown) => (e as { code?: string }).code === '23514');
}

describe('ticketing amounts', () => {
  test('a pay-what-you-want amount above 10 M€ is refused at the edge — API, use case and form — and nothing is written', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'pwyw-bound', capacity: 100 },
      { name: 'Libre', kind: 'pay_what_you_want', minPrice: '1' },
    );
    const [price] = ev.priceIds;
    const date = ev.dateIds[0]!;
    const before_ = await countOf('orders');
    const c = t.client();
    for (const amountCents of [9007199254740991, MAX_AMOUNT_MINOR + 1]) {
      const refused = await c.api('POST', '/api/v1/orders', {
        venue: 'pwyw-bound',
        email: 'rich@example.org',
        lines: [{ priceId: price, eventDateId: date, quantity: 1, amountCents }],
      });
      assert.equal(refused.statusCode, 422, `${amountCents}: ${refused.body}`);
      assert.equal(refused.json().errors[0].field, 'lines.0.amountCents');
    }
    const line = (amount: unknown, quantity = 1) => [{ priceId: price, eventDateId: date, quantity, amount }];
    const order = (lines: ReturnType<typeof line>) =>
      placeOrder(t.db, t.config, null, { slug: 'pwyw-bound', email: 'rich@example.org', language: 'fr', lines });
    assert.deepEqual(await faults(() => order(line(MAX_AMOUNT_MINOR + 1))), ['lines.0.amount:amount-too-large']);
    assert.deepEqual(await faults(() => order(line('999999999,99'))), ['lines.0.amount:amount-too-large']);
    // Each place within the bound, the order's total beyond it.
    assert.deepEqual(await faults(() => order(line(600_000_000, 2))), ['lines:total-too-large']);
    const form = await c.postForm(`/events/${ev.eventId}/order`, {
      email: 'rich@example.org',
      [quantityField(price, date)]: '1',
      [amountField(price, date)]: '10000000,01',
    });
    assert.equal(form.statusCode, 422);
    assert.match(form.body, /Montant trop élevé/);
    assert.equal(await countOf('orders'), before_, 'nothing written');

    // At the bound the order is taken, and reads of it (its page, the venue's orders.csv) work.
    const placed = await order(line(MAX_AMOUNT_MINOR));
    assert.equal(placed.totalCents, MAX_AMOUNT_MINOR);
    assert.equal((await c.get(`/orders/${placed.id}`)).statusCode, 200);
    const admin = await t.loginAs('admin@pwyw-bound.example');
    const csv = parseCsv((await admin.get(`/venues/pwyw-bound/admin/events/${ev.eventId}/tickets/orders.csv`)).body);
    assert.deepEqual(csv[1]!.slice(3, 5), ['pending', '10000000.00']);
  });

  test('ticket prices above the bound are refused; the database refuses any amount above it', async () => {
    const ev = await eventWithDates(t.db, { slug: 'price-bound', capacity: 10 });
    const before_ = await countOf('ticket_prices');
    const price = (fields: { kind: string; price?: unknown; minPrice?: unknown }) =>
      createTicketPrice(t.db, ev.admin, { slug: 'price-bound', eventId: ev.eventId, name: 'P', ...fields });
    assert.deepEqual(await faults(() => price({ kind: 'fixed', price: '10000000,01' })), ['price:amount-too-large']);
    assert.deepEqual(await faults(() => price({ kind: 'fixed', price: MAX_AMOUNT_MINOR + 1 })), [
      'price:amount-too-large',
    ]);
    assert.deepEqual(await faults(() => price({ kind: 'pay_what_you_want', minPrice: '20000000' })), [
      'minPrice:amount-too-large',
    ]);
    assert.equal(await countOf('ticket_prices'), before_);
    const { id } = await price({ kind: 'fixed', price: MAX_AMOUNT_MINOR });

    // Behind the use cases: CHECK constraints.
    const over = MAX_AMOUNT_MINOR + 1;
    await checkRefuses(t.db.updateTable('ticket_prices').set({ price_cents: over }).where('id', '=', id).execute());
    await checkRefuses(t.db.updateTable('ticket_prices').set({ min_price_cents: over }).where('id', '=', id).execute());
    const promo = { place_id: ev.place.id, code: 'HUGE', event_id: ev.eventId, percent_off: null };
    await checkRefuses(
      t.db
        .insertInto('promo_codes')
        .values({ ...promo, id: uuidv7(), amount_off_cents: over })
        .execute(),
    );
    const orderId = uuidv7();
    const orderRow = {
      place_id: ev.place.id,
      reference: 'BOUND00001',
      email: 'x@example.org',
      status: 'expired' as const,
      expires_at: new Date(),
    };
    await checkRefuses(
      t.db
        .insertInto('orders')
        .values({ ...orderRow, id: orderId, total_cents: over })
        .execute(),
    );
    await t.db
      .insertInto('orders')
      .values({ ...orderRow, id: orderId, total_cents: 0 })
      .execute();
    const lineRow = {
      place_id: ev.place.id,
      order_id: orderId,
      price_id: id,
      event_id: ev.eventId,
      event_date_id: ev.dateIds[0]!,
      quantity: 2,
      vat_rate_bp: 0,
    };
    await checkRefuses(
      t.db
        .insertInto('order_lines')
        .values({ ...lineRow, id: uuidv7(), unit_price_cents: over })
        .execute(),
    );
    // A discount never exceeds its line.
    await checkRefuses(
      t.db
        .insertInto('order_lines')
        .values({ ...lineRow, id: uuidv7(), unit_price_cents: 100, discount_cents: 201 })
        .execute(),
    );
  });
});

describe('membership amounts', () => {
  test('product prices, chosen and recorded amounts above the bound are refused; the database refuses them too', async () => {
    const { admin } = await eventWithDates(t.db, { slug: 'member-bound' });
    const product = (fields: Record<string, unknown>) =>
      createMembershipProduct(t.db, admin, 'member-bound', { name: 'Adhésion', validity_kind: 'lifetime', ...fields });
    const before_ = await countOf('membership_products');
    assert.deepEqual(await faults(() => product({ price_kind: 'fixed', price: '10000000,01' })), [
      'price:amount-too-large',
    ]);
    assert.deepEqual(await faults(() => product({ price_kind: 'fixed', price_cents: MAX_AMOUNT_MINOR + 1 })), [
      'price_cents:amount-too-large',
    ]);
    assert.deepEqual(await faults(() => product({ price_kind: 'pay_what_you_want', min_price: '99999999' })), [
      'min_price:amount-too-large',
    ]);
    assert.equal(await countOf('membership_products'), before_);
    const pwyw = await product({ price_kind: 'pay_what_you_want', min_price: '5' });

    const buyer = await ensurePerson(t.db, 'generous@example.org', 'fr');
    const members = await countOf('memberships');
    assert.deepEqual(
      await faults(() =>
        buyMembership(t.db, null, t.config, personActor(buyer.id), {
          slug: 'member-bound',
          productId: pwyw.id,
          amount: 9007199254740991,
        }),
      ),
      ['amount:amount-too-large'],
    );
    assert.deepEqual(
      await faults(() =>
        addMembership(t.db, t.config, admin, {
          slug: 'member-bound',
          email: 'paid-a-lot@example.org',
          productId: pwyw.id,
          method: 'cash',
          amount: '10000000,01',
        }),
      ),
      ['amount:amount-too-large'],
    );
    const report = await importMembers(t.db, t.config, admin, {
      slug: 'member-bound',
      csv: ['email;product;method;amount', 'big@example.org;Adhésion;cash;20000000'].join('\n'),
      apply: true,
    });
    assert.deepEqual(
      report.rejected.map((r) => `${r.line}:${r.reason}`),
      ['2:amount'],
    );
    assert.equal(await countOf('memberships'), members, 'nothing written');

    await checkRefuses(
      t.db
        .updateTable('membership_products')
        .set({ min_price_cents: MAX_AMOUNT_MINOR + 1 })
        .where('id', '=', pwyw.id)
        .execute(),
    );
    const added = await addMembership(t.db, t.config, admin, {
      slug: 'member-bound',
      email: 'fair@example.org',
      productId: pwyw.id,
      method: 'cash',
      amount: '10',
    });
    await checkRefuses(
      t.db
        .updateTable('memberships')
        .set({ amount_cents: MAX_AMOUNT_MINOR + 1 })
        .where('id', '=', added.id)
        .execute(),
    );
  });
});

test('migration 0020 refuses to run over amounts stored above the bound, and names where they are', async () => {
  const { database, drop } = await createEmptyDatabase();
  try {
    const all = await listMigrations();
    const bounds = all.findIndex((m) => m.version.startsWith('0020_'));
    assert.ok(bounds > 0, 'migration 0020 exists');
    await database.withScriptSession(async ({ exec }) => {
      await exec(
        'create table schema_migrations (version text primary key, applied_at timestamptz not null default now())',
      );
      for (const m of all.slice(0, bounds))
        await exec(`begin;\n${m.sql}\n;insert into schema_migrations (version) values ('${m.version}');\ncommit;`);
      // What the old code let through: an order of 9007199254740991 cents (pay what you want).
      await exec(`
        insert into places (id, slug, name) values ('00000000-0000-7000-8000-000000000001', 'old', 'Old');
        insert into orders (place_id, id, reference, email, status, total_cents, expires_at)
        values ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002', 'OLD0000001',
                'x@example.org', 'expired', 9007199254740991, now());`);
    });
    await assert.rejects(migrate(database), /orders: 1.*docs\/OPERATIONS\.md/s);
    const applied = await sql<{ version: string }>`select version from schema_migrations`.execute(database.db);
    assert.ok(!applied.rows.some((r) => r.version.startsWith('0020_')), 'nothing of 0020 applied');
    // Once the operator has dealt with it (docs/OPERATIONS.md), the migration applies.
    await sql`update orders set total_cents = 0 where reference = 'OLD0000001'`.execute(database.db);
    assert.ok((await migrate(database)).some((v) => v.startsWith('0020_')));
  } finally {
    await drop();
  }
});
