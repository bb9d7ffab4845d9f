import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { authenticateApiKey } from '../apikeys/apiKeys.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { ledgerCommand } from '../ledger/verifyCommand.ts';
import { DomainError } from '../shared/errors.ts';
import { markPaid } from './markPaid.ts';
import { markReceived } from './markReceived.ts';
import { removeTreasurer } from './removeTreasurer.ts';
import { addTreasurer } from './addTreasurer.ts';
import { runSettlement } from './runSettlement.ts';
import { setSettlementFee } from './setSettlementFee.ts';
import { getStatement, listVenueStatements, type Statement } from './statements.ts';
import { verifyStatement } from './verifyStatement.ts';
import { createSettlementWorld, mintAtVenue } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

const pause = (ms = 5) => new Promise((r) => setTimeout(r, ms));
/** The end of a period: now, a few ms after the last movement, so "created before the end" is unambiguous. */
const now = async () => {
  await pause();
  const at = new Date();
  await pause();
  return at;
};
const statementOf = (statements: Statement[], placeId: string) => statements.find((s) => s.placeId === placeId)!;
const lines = (s: Statement) => Object.fromEntries(s.lines.map((l) => [l.line, [l.count, l.amountCents]]));
const rejects = async (p: Promise<unknown>, code: string, status: number) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.code, code, JSON.stringify(e));
    assert.equal(e.status, status);
    return true;
  });
};
const items = (statementId: string) =>
  t.db
    .selectFrom('ledger_settled_items')
    .select(['transfer_id', 'side', 'line', 'amount'])
    .where('statement_id', '=', statementId)
    .execute();
const verifyOk = async () => {
  const result = await verifyLedger(t.db);
  assert.equal(result.problem, null, JSON.stringify(result.problem));
  return result;
};

describe('runs and statements', () => {
  test('one statement per venue: each kind of movement, the postings, the position; every item once', async () => {
    const w = await createSettlementWorld(t);
    const c1 = await w.card(10_000);
    const c2 = await w.card(5_000);
    const c3 = await w.card(0);
    const s1 = await w.barSale(c1, 2);
    const s2 = await w.barSale(c2, 1);
    const s3 = await w.barSale(c1, 3);
    await w.reverse(s2.saleId);
    await w.cashTopUp(c3, 2000);
    await w.cashOut(c1, 500);
    await w.payB(1200, { order: 'order-1' });
    await w.payB(300, { membership: 'm-1' });
    await w.payB(200, {});
    const supplyBefore = -(await w.balanceOf('system', 'issuance'));
    const until = await now();

    const { run, statements, replayed } = await runSettlement(t.db, w.treasurer.actor, {
      federation: w.federation.slug,
      until: until.toISOString(),
    });
    assert.equal(replayed, false);
    assert.equal(run.status, 'complete');
    assert.equal(statements.length, 2);
    const a = statementOf(statements, w.venueA.id);
    const b = statementOf(statements, w.venueB.id);
    assert.deepEqual(lines(a), {
      till_sales: [3, s1.amount + s2.amount + s3.amount],
      refunds: [1, -s2.amount],
      cash_top_ups: [1, -2000],
      cash_outs: [1, 500],
    });
    assert.deepEqual(
      [a.openingCents, a.tokensCents, a.cashCents, a.feeCents, a.closingCents],
      [0, s1.amount + s3.amount, -1500, 0, s1.amount + s3.amount - 1500],
    );
    assert.deepEqual(lines(b), { tickets: [1, 1200], memberships: [1, 300], other_received: [1, 200] });
    assert.deepEqual([b.tokensCents, b.cashCents, b.closingCents], [1700, 0, 1700]);
    assert.equal(a.state, 'to_pay');
    assert.equal(a.number + 1, b.number, 'numbered in slug order');
    assert.equal(a.periodEnd.getTime(), until.getTime());
    assert.equal(a.coversTo.getTime(), until.getTime());

    // The tokens settled left the venues' accounts for their settlement positions; the cash A kept was burnt.
    assert.equal(await w.balanceOf('place', w.venueA.id), 0);
    assert.equal(await w.balanceOf('place', w.venueB.id), 0);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), a.closingCents);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueB.id}`), 1700);
    assert.equal(-(await w.balanceOf('system', 'issuance')), supplyBefore - 1500);
    const postings = await t.db
      .selectFrom('ledger_transfers')
      .select(['kind', 'amount'])
      .where(sql<boolean>`metadata->>'statement' = ${a.id}`)
      .orderBy('kind')
      .execute();
    assert.deepEqual(
      postings.map((p) => [p.kind, p.amount]),
      [
        ['settlement', s1.amount + s3.amount],
        ['settlement_cash', 1500],
      ],
    );
    const aItems = await items(a.id);
    assert.equal(aItems.filter((i) => i.side === 'tokens').length, 4);
    assert.equal(aItems.filter((i) => i.side === 'cash').length, 2);
    assert.equal((await items(b.id)).length, 3);
    assert.deepEqual(await verifyStatement(t.db, a), { ok: true, problems: [] });
    const result = await verifyOk();
    const reserve = result.reserves.find((r) => r.federation === w.federation.slug)!;
    assert.ok(reserve, 'verify reports the reserve of the federation');
    assert.equal(reserve.held, reserve.inCirculation + reserve.atVenues + reserve.positions);
    assert.equal(reserve.positions, a.closingCents + 1700);
  });

  test('the same period twice settles nothing twice; an overlapping period is refused and writes nothing', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 2);
    const first = await now();
    await w.barSale(card, 1);
    const second = await now();
    const one = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: second });
    const before = await w.counts();
    const again = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: second });
    assert.equal(again.replayed, true);
    assert.equal(again.run.id, one.run.id);
    assert.deepEqual(await w.counts(), before);
    await rejects(
      runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: first }),
      'settlement-period-overlap',
      409,
    );
    assert.deepEqual(await w.counts(), before);
    assert.equal(statementOf(one.statements, w.venueA.id).tokensCents, 1050);
    await verifyOk();
  });

  test('movements after the end wait for the next period, which starts from the last closing', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 2);
    const end1 = await now();
    await w.barSale(card, 1);
    const first = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: end1 });
    const a1 = statementOf(first.statements, w.venueA.id);
    assert.equal(a1.tokensCents, 700);
    assert.equal(await w.balanceOf('place', w.venueA.id), 350, 'the sale after the end is still on the account');
    const end2 = await now();
    const second = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: end2 });
    const a2 = statementOf(second.statements, w.venueA.id);
    assert.equal(second.run.periodStart!.getTime(), end1.getTime());
    assert.deepEqual([a2.openingCents, a2.tokensCents, a2.closingCents], [700, 350, 1050]);
    assert.equal((await getStatement(t.db, w.treasurer.actor, a1.id)).state, 'carried');
    assert.equal(await w.balanceOf('place', w.venueA.id), 0);
    await verifyOk();
  });

  test('tokens given back after the end: the statement takes the movements up to the run, so the tokens it settles are there', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 2);
    const end = await now();
    await w.refundFromA(700);
    const { statements } = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: end });
    const a = statementOf(statements, w.venueA.id);
    assert.deepEqual(lines(a), { till_sales: [1, 700], refunds: [1, -700] });
    assert.equal(a.tokensCents, 0);
    assert.ok(a.coversTo.getTime() > end.getTime(), 'covers the movements written after the end');
    await verifyOk();
  });

  test('an end in the future or unreadable is refused, nothing written', async () => {
    const w = await createSettlementWorld(t);
    const before = await w.counts();
    for (const until of [new Date(Date.now() + 3_600_000).toISOString(), 'tomorrow', '2025-02-30', '']) {
      await assert.rejects(
        runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until }),
        (e: unknown) => e instanceof DomainError && e.status === 422 && e.fields[0]?.field === 'until',
      );
    }
    await rejects(
      runSettlement(t.db, w.treasurer.actor, { federation: 'no-such-federation', until: new Date() }),
      'not-found',
      404,
    );
    assert.deepEqual(await w.counts(), before);
  });

  test('a run that failed at one venue is resumed by the same end, each venue settled once', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 1);
    await w.payB(900);
    const end = await now();
    // A fault injected at venue B's statement: the run stops there, A's statement is committed.
    await sql
      .raw(
        `create function settlement_test_fault() returns trigger language plpgsql as $$ begin
           if new.place_id = '${w.venueB.id}' then raise exception 'injected fault'; end if; return new; end $$;`,
      )
      .execute(t.db);
    await sql
      .raw(
        `create trigger settlement_test_fault before insert on settlement_statements for each row execute function settlement_test_fault();`,
      )
      .execute(t.db);
    try {
      await assert.rejects(runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: end }));
    } finally {
      await sql.raw('drop trigger settlement_test_fault on settlement_statements').execute(t.db);
      await sql.raw('drop function settlement_test_fault()').execute(t.db);
    }
    const runs = await t.db
      .selectFrom('settlement_runs')
      .selectAll()
      .where('federation_id', '=', w.federation.id)
      .execute();
    assert.deepEqual(
      runs.map((r) => r.status),
      ['running'],
    );
    assert.equal(await w.balanceOf('place', w.venueA.id), 0);
    assert.equal(await w.balanceOf('place', w.venueB.id), 900);
    await rejects(
      runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: await now() }),
      'settlement-run-incomplete',
      409,
    );
    const resumed = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: end });
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.run.status, 'complete');
    assert.equal(resumed.statements.length, 2);
    assert.equal(statementOf(resumed.statements, w.venueA.id).tokensCents, 350);
    assert.equal(statementOf(resumed.statements, w.venueB.id).tokensCents, 900);
    const count = await t.db
      .selectFrom('settlement_statements')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', resumed.run.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 2);
    await verifyOk();
  });

  test('a federation fee: a share of the tokens settled, rounded half up, kept by the federation', async () => {
    const w = await createSettlementWorld(t);
    const operator = personActor((await ensurePerson(t.db, `op-${w.federation.slug}@example.org`, 'fr')).id, true);
    for (const bps of [-1, 2001, 1.5, '12a'])
      await assert.rejects(
        setSettlementFee(t.db, operator, { federation: w.federation.slug, bps }),
        (e: unknown) => e instanceof DomainError && e.status === 422 && e.fields[0]?.field === 'bps',
      );
    await setSettlementFee(t.db, operator, { federation: w.federation.slug, bps: 150 });
    const card = await w.card(5_000);
    await w.barSale(card, 6); // 2100 × 1.5 % = 31.5 → 32
    const { statements } = await runSettlement(t.db, w.treasurer.actor, {
      federation: w.federation.slug,
      until: await now(),
    });
    const a = statementOf(statements, w.venueA.id);
    assert.deepEqual([a.tokensCents, a.feeBps, a.feeCents, a.closingCents], [2100, 150, 32, 2068]);
    const fee = await t.db
      .selectFrom('ledger_settlement_euros')
      .select(['kind', 'amount_cents'])
      .where('statement_id', '=', a.id)
      .execute();
    assert.deepEqual(
      fee.map((f) => [f.kind, f.amount_cents]),
      [['fee', 32]],
    );
    await verifyOk();
  });
});

describe('payouts and remittances', () => {
  test('paid once by SEPA with its reference, only the latest statement, exactly its closing; a venue that owes transfers it', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 4);
    await mintAtVenue(t, w.euro, w.venueB.id, 5000);
    const first = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: await now() });
    const a = statementOf(first.statements, w.venueA.id);
    const b = statementOf(first.statements, w.venueB.id);
    assert.deepEqual([a.closingCents, a.state, b.closingCents, b.state], [1400, 'to_pay', -5000, 'to_receive']);

    for (const reference of ['', ' ', 'x'.repeat(141)])
      await assert.rejects(
        markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference }),
        (e: unknown) => e instanceof DomainError && e.status === 422 && e.fields[0]?.field === 'bankReference',
      );
    const paid = await markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference: 'VIR-2025-0001' });
    assert.deepEqual(
      [paid.status, paid.amountCents, paid.method, paid.reference],
      ['paid', 1400, 'sepa', 'VIR-2025-0001'],
    );
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 0);
    assert.equal((await getStatement(t.db, w.treasurer.actor, a.id)).state, 'paid');
    const before = await w.counts();
    await rejects(
      markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference: 'VIR-2025-0002' }),
      'settlement-already-settled',
      409,
    );
    await rejects(
      markReceived(t.db, w.treasurer.actor, { statementId: a.id, reference: 'R-1' }),
      'settlement-already-settled',
      409,
    );
    await rejects(
      markPaid(t.db, w.treasurer.actor, { statementId: b.id, reference: 'VIR-2025-0003' }),
      'settlement-nothing-to-pay',
      409,
    );
    assert.deepEqual(await w.counts(), before);

    const received = await markReceived(t.db, w.treasurer.actor, { statementId: b.id, reference: 'REM-B-1' });
    assert.deepEqual([received.status, received.amountCents, received.direction], ['paid', 5000, 'from_venue']);
    assert.equal(await w.balanceOf('system', `settlement:${w.venueB.id}`), 0);
    assert.equal((await getStatement(t.db, w.treasurer.actor, b.id)).state, 'received');

    // A later statement carries an unpaid one: only the later one can be paid, and a bank reference is used once.
    await w.barSale(card, 1);
    const second = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: await now() });
    await w.barSale(card, 1);
    const third = await runSettlement(t.db, w.treasurer.actor, { federation: w.federation.slug, until: await now() });
    const a2 = statementOf(second.statements, w.venueA.id);
    const a3 = statementOf(third.statements, w.venueA.id);
    assert.deepEqual([a3.openingCents, a3.closingCents], [350, 700]);
    const before2 = await w.counts();
    await rejects(
      markPaid(t.db, w.treasurer.actor, { statementId: a2.id, reference: 'VIR-2025-0004' }),
      'settlement-statement-carried',
      409,
    );
    await rejects(
      markPaid(t.db, w.treasurer.actor, { statementId: a3.id, reference: 'VIR-2025-0001' }),
      'settlement-reference-used',
      409,
    );
    assert.deepEqual(await w.counts(), before2);
    await markPaid(t.db, w.treasurer.actor, { statementId: a3.id, reference: 'VIR-2025-0005' });
    assert.equal(await w.balanceOf('system', `settlement:${w.venueA.id}`), 0);
    const result = await verifyOk();
    const reserve = result.reserves.find((r) => r.federation === w.federation.slug)!;
    assert.equal(reserve.positions, 0);
    assert.equal(reserve.held, reserve.inCirculation + reserve.atVenues);
  });
});

describe('who may do it', () => {
  test('only treasurers, operators and the node run and pay; anyone else gets 403 and nothing is written', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 2);
    const stranger = personActor((await ensurePerson(t.db, `stranger-${w.federation.slug}@example.org`, 'fr')).id);
    const cashier = personActor(w.till.cashier.personId);
    const key = await createApiKey(t.db, SYSTEM, {
      slug: w.venueA.slug,
      name: 'all scopes',
      scopes: ['place:read', 'place:write', 'till', 'settlement:read'],
    });
    const keyActor = await authenticateApiKey(t.db, key.secret);
    assert.ok(keyActor);
    const outsiders = [stranger, w.adminA.actor, cashier, keyActor];
    const before = await w.counts();
    for (const actor of outsiders) {
      await rejects(
        runSettlement(t.db, actor, { federation: w.federation.slug, until: await now() }),
        'forbidden',
        403,
      );
      await rejects(
        addTreasurer(t.db, actor, { federation: w.federation.slug, email: 'someone@example.org' }),
        'forbidden',
        403,
      );
      await rejects(setSettlementFee(t.db, actor, { federation: w.federation.slug, bps: 100 }), 'forbidden', 403);
    }
    // A treasurer runs and pays, but does not choose other treasurers or the fee: operators do.
    await rejects(
      addTreasurer(t.db, w.treasurer.actor, { federation: w.federation.slug, email: 'x@example.org' }),
      'forbidden',
      403,
    );
    await rejects(
      setSettlementFee(t.db, w.treasurer.actor, { federation: w.federation.slug, bps: 100 }),
      'forbidden',
      403,
    );
    assert.deepEqual(await w.counts(), before);

    const { statements } = await runSettlement(t.db, w.treasurer.actor, {
      federation: w.federation.slug,
      until: await now(),
    });
    const a = statementOf(statements, w.venueA.id);
    const after = await w.counts();
    for (const actor of outsiders) {
      await rejects(markPaid(t.db, actor, { statementId: a.id, reference: 'VIR-1' }), 'forbidden', 403);
      await rejects(markReceived(t.db, actor, { statementId: a.id, reference: 'VIR-1' }), 'forbidden', 403);
    }
    assert.deepEqual(await w.counts(), after);

    // A treasurer taken off the federation can no longer act; an operator can.
    await removeTreasurer(t.db, SYSTEM, { federation: w.federation.slug, email: w.treasurer.email });
    await rejects(markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference: 'VIR-1' }), 'forbidden', 403);
    const operator = personActor(
      (await ensurePerson(t.db, `operator-${w.federation.slug}@example.org`, 'fr')).id,
      true,
    );
    assert.equal((await markPaid(t.db, operator, { statementId: a.id, reference: 'VIR-1' })).status, 'paid');
  });

  test('a venue reads its own statements (its admins, its keys with settlement:read), never another venue’s', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 1);
    await w.payB(400);
    const { statements } = await runSettlement(t.db, SYSTEM, { federation: w.federation.slug, until: await now() });
    const a = statementOf(statements, w.venueA.id);
    const b = statementOf(statements, w.venueB.id);
    assert.equal((await getStatement(t.db, w.adminA.actor, a.id)).id, a.id);
    assert.equal((await getStatement(t.db, w.adminB.actor, b.id)).id, b.id);
    assert.equal((await getStatement(t.db, w.treasurer.actor, b.id)).id, b.id);
    await rejects(getStatement(t.db, w.adminA.actor, b.id), 'forbidden', 403);
    await rejects(getStatement(t.db, personActor(w.till.cashier.personId), a.id), 'forbidden', 403);
    const readKey = await authenticateApiKey(
      t.db,
      (await createApiKey(t.db, SYSTEM, { slug: w.venueA.slug, name: 'accounting', scopes: ['settlement:read'] }))
        .secret,
    );
    const tillKey = await authenticateApiKey(
      t.db,
      (await createApiKey(t.db, SYSTEM, { slug: w.venueA.slug, name: 'till', scopes: ['till'] })).secret,
    );
    assert.deepEqual(
      (await listVenueStatements(t.db, readKey!, w.venueA.id)).map((s) => s.id),
      [a.id],
    );
    await rejects(listVenueStatements(t.db, readKey!, w.venueB.id), 'api-key-scope', 403);
    await rejects(listVenueStatements(t.db, tillKey!, w.venueA.id), 'api-key-scope', 403);
  });
});

describe('final and checked', () => {
  test('statements are signed and append-only; verify checks the reserve per federation and fails when it is broken', async () => {
    const w = await createSettlementWorld(t);
    const card = await w.card(5_000);
    await w.barSale(card, 2);
    const { statements } = await runSettlement(t.db, w.treasurer.actor, {
      federation: w.federation.slug,
      until: await now(),
    });
    const a = statementOf(statements, w.venueA.id);
    await markPaid(t.db, w.treasurer.actor, { statementId: a.id, reference: `VIR-${a.id}` });
    await assert.rejects(
      sql`update settlement_statements set closing_cents = closing_cents + 1 where id = ${a.id}`.execute(t.db),
      /append-only/,
    );
    await assert.rejects(
      sql`delete from ledger_settled_items where statement_id = ${a.id}`.execute(t.db),
      /append-only/,
    );

    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) };
    assert.equal(await ledgerCommand(t.db, ['verify'], io), 0, out.join(''));
    assert.match(out.join(''), new RegExp(`reserve ${w.federation.slug} \\(${w.euro.code}\\): held \\d+ >= `));

    // A payout recorded twice behind the application's back: euros left that no posting matches.
    const payout = await t.db
      .selectFrom('ledger_settlement_euros')
      .select(['transfer_id', 'amount_cents'])
      .where('statement_id', '=', a.id)
      .where('kind', '=', 'payout')
      .executeTakeFirstOrThrow();
    const asOwner = (statement: ReturnType<typeof sql>) =>
      t.db.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await statement.execute(trx);
      });
    await asOwner(
      sql`update ledger_settlement_euros set amount_cents = amount_cents * 2 where transfer_id = ${payout.transfer_id}`,
    );
    try {
      const broken = await verifyLedger(t.db);
      assert.equal(broken.problem?.check, 'reserve', JSON.stringify(broken.problem));
      assert.match(broken.problem!.where, new RegExp(w.federation.slug));
      const failed: string[] = [];
      assert.equal(await ledgerCommand(t.db, ['verify'], { stdout: () => {}, stderr: (s) => failed.push(s) }), 1);
      assert.match(failed.join(''), /FAILED: reserve/);
    } finally {
      await asOwner(
        sql`update ledger_settlement_euros set amount_cents = ${payout.amount_cents} where transfer_id = ${payout.transfer_id}`,
      );
    }
    // A statement changed behind the application's back no longer verifies.
    await asOwner(
      sql`update settlement_statements set closing_cents = closing_cents + 100, opening_cents = opening_cents + 100 where id = ${a.id}`,
    );
    try {
      const changed = await verifyStatement(t.db, await getStatement(t.db, SYSTEM, a.id));
      assert.equal(changed.ok, false);
      assert.ok(changed.problems.includes('signature'), changed.problems.join(','));
    } finally {
      await asOwner(
        sql`update settlement_statements set closing_cents = closing_cents - 100, opening_cents = opening_cents - 100 where id = ${a.id}`,
      );
    }
    await verifyOk();
  });
});
