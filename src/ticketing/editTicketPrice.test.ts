import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, onPostgres, type TestNode } from '../../test/harness.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { deleteTicketPrice, setTicketPriceOnSale, updateTicketPrice } from './editTicketPrice.ts';
import { writeHold, newHoldIds } from './insertHold.ts';
import { placeOrder } from './placeOrder.ts';
import { eventWithDates } from './testFixtures.ts';

let t: TestNode;
before(async () => {
  t = await createTestNode();
});
after(() => t.close());

const codeOf = (e: unknown) => (e instanceof DomainError ? e.code : String(e));
async function refusal(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return codeOf(e);
  }
  return 'accepted';
}
const priceRow = (id: string) =>
  t.db.selectFrom('ticket_prices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const buy = (slug: string, priceId: string, dateId: string, email = 'buyer@example.org') =>
  placeOrder(t.db, t.config, null, {
    slug,
    email,
    language: 'fr',
    lines: [{ priceId, eventDateId: dateId, quantity: 1 }],
  });

describe('a price is editable until someone orders it, then only closable (invariant 22)', () => {
  test('edited and deleted while nobody ordered it; each edit moves its revision', async () => {
    const ev = await eventWithDates(t.db, { slug: 'edit-free' });
    const ref = { slug: 'edit-free', eventId: ev.eventId };
    const { id } = await createTicketPrice(t.db, ev.admin, { ...ref, name: 'Plein', kind: 'fixed', price: '10' });
    const bad = await refusal(() =>
      updateTicketPrice(t.db, ev.admin, { ...ref, priceId: id, name: '', kind: 'fixed' }),
    );
    assert.equal(bad, 'validation');
    await updateTicketPrice(t.db, ev.admin, {
      ...ref,
      priceId: id,
      name: 'Plein tarif',
      kind: 'fixed',
      price: '12,50',
      vatRate: '2,1',
    });
    const row = await priceRow(id);
    assert.deepEqual([row.name, row.price_cents, row.vat_rate_bp, row.revision], ['Plein tarif', 1250, 210, 1]);
    await deleteTicketPrice(t.db, ev.admin, { ...ref, priceId: id });
    assert.equal(
      await t.db.selectFrom('ticket_prices').select('id').where('id', '=', id).executeTakeFirst(),
      undefined,
    );
    // Another venue's editor cannot touch it.
    const other = await eventWithDates(t.db, { slug: 'edit-other' });
    const { id: mine } = await createTicketPrice(t.db, ev.admin, { ...ref, name: 'Réduit', kind: 'fixed', price: '8' });
    assert.equal(await refusal(() => deleteTicketPrice(t.db, other.admin, { ...ref, priceId: mine })), 'forbidden');
  });

  test('once held by a pending order: edit and delete refused (409 price-in-use, nothing changed); close and reopen allowed', async () => {
    const ev = await eventWithDates(t.db, { slug: 'edit-held' });
    const ref = { slug: 'edit-held', eventId: ev.eventId };
    const { id } = await createTicketPrice(t.db, ev.admin, { ...ref, name: 'Plein', kind: 'fixed', price: '10' });
    await buy('edit-held', id, ev.dateIds[0]!);
    const before_ = await priceRow(id);
    const edit = () =>
      updateTicketPrice(t.db, ev.admin, { ...ref, priceId: id, name: 'Plein', kind: 'fixed', price: '15' });
    assert.equal(await refusal(edit), 'price-in-use');
    assert.equal(await refusal(() => deleteTicketPrice(t.db, ev.admin, { ...ref, priceId: id })), 'price-in-use');
    assert.deepEqual(await priceRow(id), before_);
    await setTicketPriceOnSale(t.db, ev.admin, { ...ref, priceId: id, onSale: false });
    assert.equal((await priceRow(id)).active, false);
    assert.equal(await refusal(() => buy('edit-held', id, ev.dateIds[0]!, 'late@example.org')), 'validation');
    await setTicketPriceOnSale(t.db, ev.admin, { ...ref, priceId: id, onSale: true });
    assert.equal(await refusal(() => buy('edit-held', id, ev.dateIds[0]!, 'again@example.org')), 'accepted');
    // Even after its orders ran out, a price that was ordered stays as it was sold.
    await t.db
      .updateTable('orders')
      .set({ expires_at: new Date(0) })
      .where('place_id', '=', ev.place.id)
      .execute();
    assert.equal(await refusal(edit), 'price-in-use');
  });

  test('an order that read the price before an edit takes nothing (price-changed), never the old price', async () => {
    const ev = await eventWithDates(t.db, { slug: 'edit-race', capacity: 5 });
    const ref = { slug: 'edit-race', eventId: ev.eventId };
    const { id } = await createTicketPrice(t.db, ev.admin, { ...ref, name: 'Plein', kind: 'fixed', price: '10' });
    const read = await priceRow(id);
    await updateTicketPrice(t.db, ev.admin, { ...ref, priceId: id, name: 'Plein', kind: 'fixed', price: '20' });
    // The statement that takes the seats, given what the order read before the edit.
    const held = await writeHold(
      t.db,
      {
        placeId: ev.place.id,
        personId: null,
        email: 'stale@example.org',
        name: '',
        language: 'fr',
        lines: [
          {
            id: uuidv7(),
            priceId: id,
            eventId: ev.eventId,
            eventDateId: ev.dateIds[0]!,
            quantity: 1,
            unitCents: read.price_cents,
            discountCents: 0,
            vatBp: read.vat_rate_bp,
            priceRevision: read.revision,
          },
        ],
        promoCodeId: null,
        holdMinutes: 15,
        confirmTokenHash: null,
        answers: [],
        actor: null,
      },
      newHoldIds(),
    );
    assert.equal(held.short, 'changed');
    assert.equal((await priceRow(id)).taken, 0);
    const orders = await t.db.selectFrom('orders').select('id').where('place_id', '=', ev.place.id).execute();
    assert.equal(orders.length, 0, 'nothing written');
  });
});

describe('the VAT of a new price comes from the venue location (vat_defaults)', () => {
  test('show rate by country and postal code; none known: 0; a typed rate wins', async () => {
    const cases: [string, string, number][] = [
      ['FR', '75011', 550],
      ['FR', '97400', 210],
      ['RE', '97410', 210],
      ['DE', '10115', 0],
    ];
    for (const [i, [country, postal, bp]] of cases.entries()) {
      const ev = await eventWithDates(t.db, { slug: `vat-${i}` });
      await t.db.updateTable('places').set({ country, postal_code: postal }).where('id', '=', ev.place.id).execute();
      const { id } = await createTicketPrice(t.db, ev.admin, {
        slug: `vat-${i}`,
        eventId: ev.eventId,
        name: 'P',
        kind: 'free',
      });
      assert.equal((await priceRow(id)).vat_rate_bp, bp, `${country} ${postal}`);
    }
    const ev = await eventWithDates(t.db, { slug: 'vat-typed' });
    const { id } = await createTicketPrice(t.db, ev.admin, {
      slug: 'vat-typed',
      eventId: ev.eventId,
      name: 'P',
      kind: 'free',
      vatRate: '0',
    });
    assert.equal((await priceRow(id)).vat_rate_bp, 0);
  });
});

describe(
  'edit against sale at the same moment (PostgreSQL)',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  () => {
    test('30 buyers and an edit at once: every order line is at the price the price has; the edit is refused or no sale saw the old price', async () => {
      // The edit starts a little later each round, to fall between some buyers' reading and taking.
      for (let round = 0; round < 12; round++) {
        const slug = `race-${round}`;
        const ev = await eventWithDates(t.db, { slug, capacity: 100 });
        const ref = { slug, eventId: ev.eventId };
        const { id } = await createTicketPrice(t.db, ev.admin, { ...ref, name: 'Plein', kind: 'fixed', price: '10' });
        const results = await Promise.allSettled([
          ...Array.from({ length: 30 }, (_, i) => buy(slug, id, ev.dateIds[0]!, `r${round}-${i}@example.org`)),
          new Promise((resolve) => setTimeout(resolve, round * 2)).then(() =>
            updateTicketPrice(t.db, ev.admin, { ...ref, priceId: id, name: 'Plein', kind: 'fixed', price: '20' }),
          ),
        ]);
        const edit = results.at(-1)!;
        const codes = results.slice(0, -1).map((r) => (r.status === 'fulfilled' ? 'ok' : codeOf(r.reason)));
        assert.ok(
          codes.every((c) => c === 'ok' || c === 'price-changed'),
          codes.join(','),
        );
        const price = await priceRow(id);
        const lines = await t.db
          .selectFrom('order_lines')
          .select(['unit_price_cents', 'quantity'])
          .where('price_id', '=', id)
          .execute();
        // No line at a price that no longer exists.
        assert.ok(
          lines.every((l) => l.unit_price_cents === price.price_cents),
          JSON.stringify({ price: price.price_cents, lines }),
        );
        if (edit.status === 'fulfilled') assert.equal(price.price_cents, 2000);
        else assert.equal(codeOf(edit.reason), 'price-in-use');
        // The counter is exactly what the lines hold.
        assert.equal(
          price.taken,
          lines.reduce((n, l) => n + l.quantity, 0),
        );
      }
    });
  },
);
