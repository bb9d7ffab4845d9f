// A night at a venue, end to end (issue 16, "Done when"): sales at two points of sale through the
// till's device API (cash, wallet cards, wallet top-ups), tickets sold and scanned at the door through
// the ticketing use cases, a Z closure of each point, then the venue's dashboard in Chromium. The
// numbers behind the charts ("Voir les chiffres") and the per-point table must equal the Z closures'
// totals and the ledger's transfers, and the entries / tickets sold tile must equal the door's figures,
// all read through the modules' index.ts read functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestNode } from '../harness.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { createEvent } from '../../src/agenda/createEvent.ts';
import { publishEvent } from '../../src/agenda/publishEvent.ts';
import { pageOfTransfers, ownerBalances } from '../../src/ledger/index.ts';
import { uuidv7 } from '../../src/shared/ids.ts';
import { dateFigures } from '../../src/ticketing/index.ts';
import { checkIn } from '../../src/ticketing/checkIn.ts';
import { completeOrder } from '../../src/ticketing/completeOrder.ts';
import { createTicketPrice } from '../../src/ticketing/createTicketPrice.ts';
import { placeOrder } from '../../src/ticketing/placeOrder.ts';
import { signTicket } from '../../src/ticketing/ticketSignature.ts';
import { closeDay } from '../../src/till/closeDay.ts';
import { businessDayAt, businessDayBounds, listClosures, tillDayOf, type Closure } from '../../src/till/index.ts';
import { createTillWorld, signedRequest, type TestCard, type TillWorld } from '../../src/till/testFixtures.ts';
import { cspViolations, horizontalOverflow, newVisitor, noChromium, useBrowserNode } from './browser.ts';

describe('a night of sales, its Z closures and the venue dashboard', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;
  let w: TillWorld;
  let slug: string;
  let adminEmail: string;
  let dateId: string;
  let businessDay: string;
  let closures: Closure[] = [];
  const cards: TestCard[] = [];

  useBrowserNode({}, async (node) => {
    ({ t, browser, base } = node);
    w = await createTillWorld(t.db);
    const place = await t.db
      .selectFrom('places')
      .select(['slug', 'timezone'])
      .where('id', '=', w.placeId)
      .executeTakeFirstOrThrow();
    slug = place.slug;
    adminEmail = (
      await t.db
        .selectFrom('people')
        .select('email')
        .where('id', '=', w.ledger.adminA.personId)
        .executeTakeFirstOrThrow()
    ).email;

    // Tonight's concert: a date later in the till's current business day (tickets are sold until it
    // starts), 3 tickets sold, 2 scanned.
    const day = await tillDayOf(t.db, w.placeId);
    const now = new Date();
    businessDay = businessDayAt(now, day);
    const { to } = businessDayBounds(businessDay, day);
    const startsAt = new Date(now.getTime() + (to.getTime() - now.getTime()) / 2);
    const local = new Intl.DateTimeFormat('sv-SE', {
      timeZone: place.timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .format(startsAt)
      .replace(' ', 'T');
    const event = await createEvent(t.db, w.ledger.adminA, {
      placeId: w.placeId,
      title: 'Concert du soir',
      capacity: '50',
      dates: [{ startsAt: local }],
    });
    await publishEvent(t.db, w.ledger.adminA, { eventId: event.id });
    dateId = (
      await t.db.selectFrom('event_dates').select('id').where('event_id', '=', event.id).executeTakeFirstOrThrow()
    ).id;
    const price = await createTicketPrice(t.db, SYSTEM, {
      slug,
      eventId: event.id,
      name: 'Plein tarif',
      kind: 'fixed',
      price: '12',
    });
    const order = await placeOrder(t.db, t.config, null, {
      slug,
      email: 'fan@example.org',
      name: 'Fan',
      language: 'fr',
      lines: [{ priceId: price.id, eventDateId: dateId, quantity: 3 }],
    });
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, order.id, null));
    const tickets = await t.db.selectFrom('tickets').selectAll().where('order_id', '=', order.id).execute();
    for (const ticket of tickets.slice(0, 2)) {
      const payload = await signTicket(t.db, { placeId: w.placeId, id: ticket.id, eventDateId: dateId });
      await checkIn(t.db, w.ledger.adminA, { slug, eventId: event.id, scans: [{ payload, nonce: `n-${uuidv7()}` }] });
    }

    // The night at the till: a session, then sales at the bar and top-ups at the entrance.
    const opened = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/open', { cardUid: w.cashier.card.uid });
    assert.equal(opened.statusCode, 201, opened.body);
    const session = opened.json().session as string;
    const sell = async (
      pointId: string,
      items: { articleId: string; quantity: number; amountCents?: number }[],
      payments: { method: 'card' | 'cash'; amountCents: number; tenderedCents?: number }[],
      card?: TestCard,
    ) => {
      const r = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', {
        id: uuidv7(),
        session,
        pointId,
        ...(card ? { cardUid: card.uid } : {}),
        items,
        payments,
      });
      assert.equal(r.statusCode, 201, r.body);
    };
    const beer = (quantity: number) => ({ articleId: w.articles.sale, quantity });
    const topUp = (amountCents: number) => ({ articleId: w.articles.top_up, quantity: 1, amountCents });
    for (let i = 0; i < 3; i++) cards.push(await w.newCard());
    // The entrance (cash only) tops up each card; the bar sells for cash and from the cards.
    await sell(w.cashPointId, [topUp(2000)], [{ method: 'cash', amountCents: 2000, tenderedCents: 2000 }], cards[0]);
    await sell(w.cashPointId, [topUp(1500)], [{ method: 'cash', amountCents: 1500, tenderedCents: 2000 }], cards[1]);
    await sell(w.cashPointId, [topUp(1000)], [{ method: 'cash', amountCents: 1000, tenderedCents: 1000 }], cards[2]);
    await sell(w.pointId, [beer(2)], [{ method: 'card', amountCents: 700 }], cards[0]);
    await sell(w.pointId, [beer(3)], [{ method: 'card', amountCents: 1050 }], cards[1]);
    await sell(w.pointId, [beer(1)], [{ method: 'cash', amountCents: 350, tenderedCents: 500 }]);
    await sell(w.pointId, [beer(3)], [{ method: 'card', amountCents: 1050 }], cards[0]);
    await sell(w.cashPointId, [beer(1)], [{ method: 'cash', amountCents: 350, tenderedCents: 350 }]);

    // The Z of each point: the drawer counted as expected.
    for (const pointId of [w.pointId, w.cashPointId]) {
      assert.equal((await listClosures(t.db, w.placeId, { businessDay, pointId })).length, 0);
      const report = await cashTaken(pointId);
      await closeDay(t.db, w.ledger.adminA, {
        placeId: w.placeId,
        pointId,
        businessDay,
        countedCashCents: report,
      });
    }
    closures = await listClosures(t.db, w.placeId, { businessDay });
  });

  /** The cash a point's drawer should hold tonight: the cash payments taken there (no float). */
  async function cashTaken(pointId: string): Promise<number> {
    const rows = await t.db
      .selectFrom('till_journal')
      .select('amount_cents')
      .where('place_id', '=', w.placeId)
      .where('point_id', '=', pointId)
      .where('business_day', '=', businessDay)
      .where('kind', '=', 'payment')
      .where('payment_method', '=', 'cash')
      .execute();
    return rows.reduce((s, r) => s + Number(r.amount_cents), 0);
  }

  test('the dashboard’s charts and tables equal the Z closures, the ledger and the door', async () => {
    assert.equal(closures.length, 2, 'one Z per point');
    const byPoint = new Map(closures.map((c) => [c.pointId, c]));
    const bar = byPoint.get(w.pointId)!;
    const entrance = byPoint.get(w.cashPointId)!;
    assert.equal(bar.totals.salesCount, 4);
    assert.equal(bar.totals.itemsTotalCents, 350 * 9);
    assert.equal(entrance.totals.itemsTotalCents, 350 + 2000 + 1500 + 1000);

    // The ledger's side: the top-ups credited to the cards, and what the cards paid at the bar.
    const accounts = (
      await Promise.all(cards.map((card) => ownerBalances(t.db, { ownerKind: 'card', ownerRef: card.id })))
    ).flat();
    const { transfers } = await pageOfTransfers(
      t.db,
      accounts.map((a) => a.accountId),
      { limit: 100 },
    );
    const ledgerSum = (kind: string) => transfers.filter((tr) => tr.kind === kind).reduce((s, tr) => s + tr.amount, 0);
    const topUpsInZ = closures.flatMap((c) => c.totals.movements).filter((m) => m.kind === 'top_up');
    assert.equal(ledgerSum('top_up'), 4500);
    assert.equal(
      topUpsInZ.reduce((s, m) => s + m.amountCents, 0),
      ledgerSum('top_up'),
      'the Z’s top-ups are the ledger’s',
    );
    assert.equal(ledgerSum('payment'), 700 + 1050 + 1050, 'the cards paid the bar');
    assert.equal(
      accounts.reduce((s, a) => s + a.balance, 0),
      4500 - 2800,
      'the cards hold what was topped up less what they paid',
    );
    const door = (await dateFigures(t.db, w.placeId, [dateId])).get(dateId)!;
    assert.deepEqual([door.sold, door.checkedIn], [3, 2]);

    // Tonight's bar sales in the Z closures: the items sold, wallet top-ups apart (they are not sales).
    const zSales = closures.reduce(
      (s, c) =>
        s +
        c.totals.itemsTotalCents -
        c.totals.movements.filter((m) => m.kind === 'top_up').reduce((x, m) => x + m.amountCents, 0),
      0,
    );
    assert.equal(zSales, 350 * 10);
    const problems: string[] = [];
    const context = await newVisitor(browser, { width: 1366, height: 900 });
    try {
      const page = await context.newPage();
      // The venue's admin, logged in through the mailed link (the harness's client), cookies handed over.
      const admin = await t.loginAs(adminEmail);
      await context.addCookies([...admin.cookies].map(([name, value]) => ({ name, value, url: base })));
      for (const width of [1366, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        await page.goto(`${base}/venues/${slug}/admin/dashboard`);
        await page.getByRole('heading', { name: /Ce soir/ }).waitFor();
        // Each chart's numbers, as a person opens them.
        const hours = page.locator('#chart-hours');
        await hours.locator('summary').click();
        const hourValues = await hours
          .locator('td[data-value]')
          .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
        const hourTotal = hourValues.reduce((s, v) => s + v, 0);
        if (hourTotal !== zSales)
          problems.push(`${width} px: the hours chart sums ${hourTotal}, the Z closures ${zSales}`);
        const weeks = page.locator('#chart-till-weeks');
        await weeks.locator('summary').click();
        const lastWeek = await weeks
          .locator('tbody tr')
          .last()
          .locator('td[data-value]')
          .first()
          .getAttribute('data-value');
        if (Number(lastWeek) < hourTotal)
          problems.push(`${width} px: this week's bar sales ${lastWeek} < tonight ${hourTotal}`);
        // The per-point table: sales, total, top-ups and cash expected, as in each Z.
        for (const closure of closures) {
          const row = page.locator('#tonight table.list tbody tr', { hasText: closure.pointName });
          const cells = (await row.locator('td').allInnerTexts()).map((s) => s.replace(/\s/g, ' ').trim());
          const euros = (cents: number) =>
            `${(cents / 100).toFixed(2).replace('.', ',')} €`.replace(/^(\d+)(\d{3}),/, '$1 $2,');
          const topUps = closure.totals.movements
            .filter((m) => m.kind === 'top_up')
            .reduce((s, m) => s + m.amountCents, 0);
          const want = [
            String(closure.totals.salesCount),
            euros(closure.totals.itemsTotalCents),
            euros(topUps),
            euros(closure.expectedCashCents),
          ];
          if (JSON.stringify(cells) !== JSON.stringify(want))
            problems.push(
              `${width} px, ${closure.pointName}: the table shows ${cells.join(' | ')}, the Z ${want.join(' | ')}`,
            );
        }
        // Entries / tickets sold.
        const entries = await page.locator('#tonight dl.tiles > div').nth(2).locator('dd').first().innerText();
        if (entries.replace(/\s/g, '') !== `${door.checkedIn}/${door.sold}`)
          problems.push(`${width} px: entries tile ${entries}, the door ${door.checkedIn} / ${door.sold}`);
        const { page: pageWidth, screen } = await horizontalOverflow(page);
        if (pageWidth > screen) problems.push(`${width} px: the dashboard is ${pageWidth} px wide`);
      }
      // The card's page tells the night too: each line with its venue and the articles bought.
      await page.goto(`${base}/cards/${cards[0]!.token}`);
      const lines = await page.locator('table.history tbody tr').allInnerTexts();
      const venueName = (
        await t.db.selectFrom('places').select('name').where('id', '=', w.placeId).executeTakeFirstOrThrow()
      ).name;
      const article = (
        await t.db.selectFrom('pos_articles').select('name').where('id', '=', w.articles.sale).executeTakeFirstOrThrow()
      ).name;
      for (const quantity of [2, 3])
        if (!lines.some((line) => line.includes(venueName) && line.includes(`${quantity} × ${article}`)))
          problems.push(
            `the card's history has no line "${quantity} × ${article}" at ${venueName}: ${lines.join(' / ')}`,
          );
      if (!(await page.getByRole('columnheader', { name: 'Acceptée à' }).count()))
        problems.push('the card page does not say where its currencies are accepted');
      await page.getByText('Le QR code de cette carte').click();
      if (!(await page.getByRole('img', { name: 'Le QR code de cette carte' }).isVisible()))
        problems.push('the card page does not show its QR code');
    } finally {
      await context.close();
    }
    assert.deepEqual(problems, []);
  });

  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
