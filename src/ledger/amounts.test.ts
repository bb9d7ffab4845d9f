import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { type Client, type TestNode, useTestNode } from '../../test/harness.ts';
import { inTransaction } from '../db/database.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { appendTransfers } from './engine.ts';
import { ensureAccount } from './ensureAccount.ts';
import { readAmount } from './ledger.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let t: TestNode;
let w: LedgerWorld;
useTestNode(async (node) => {
  t = node;
  w = await createLedgerWorld(t.db);
});

/** Rows of the ledger tables a money request may write (not the unsealed queue: the node's sealer empties it). */
const rows = async () =>
  (
    await sql<{
      n: string;
    }>`select (select count(*) from ledger_transfers) + (select count(*) from ledger_payment_references) + (select count(*) from ledger_payouts) as n`.execute(
      t.db,
    )
  ).rows[0]!.n;

/**
 * Amounts as raw JSON text: zero, negative, float, strings that are not only digits, one above the
 * bound (as a number and as a string), above 2^53 (JSON.parse cannot even keep it exact), a huge
 * exponent, and values of the wrong type.
 */
const BAD = ['0', '-1', '12.5', '"abc"', '"12.5"', '" 12"', '1000000001', '"1000000001"', '9007199254740993', '1e20'];

async function loggedIn(): Promise<{ c: Client; wallet: string; venue: string }> {
  const c = await t.loginAs(`amounts-${uuidv7()}@example.org`);
  const me = (await c.api('GET', '/api/v1/me')).json() as { id: string };
  const wallet = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'person', ownerRef: me.id });
  await w.fund(wallet.id, 5000);
  const venue = await w.placeAccount(w.venueA.id, w.euro);
  return { c, wallet: wallet.id, venue: venue.id };
}

/** POSTs a body whose amount is spliced in as raw JSON text. */
async function postRaw(c: Client, url: string, template: object, amount: string) {
  const payload = JSON.stringify(template).replace('"@AMOUNT@"', amount);
  return c.request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-csrf-token': await c.token() },
    payload,
  });
}

function assertAmountRefused(
  r: { statusCode: number; body: string; headers: Record<string, unknown> },
  amount: string,
) {
  assert.equal(r.statusCode, 422, `${amount}: ${r.body}`);
  assert.match(String(r.headers['content-type']), /application\/problem\+json/);
  const problem = JSON.parse(r.body) as { type: string; errors?: { field: string }[] };
  assert.match(problem.type, /\/validation$/, `${amount}: ${r.body}`);
  assert.ok(
    problem.errors?.some((e) => /amount$/i.test(e.field)),
    `${amount}: the problem names the amount field: ${r.body}`,
  );
}

describe('amounts: one bound, refused at the edge and by the database', () => {
  test('POST /api/v1/transfers and /holds refuse zero, negative, float, non-digit, above the bound and above 2^53: 422, nothing written', async () => {
    const { c, wallet, venue } = await loggedIn();
    const before = await rows();
    for (const amount of BAD) {
      const transfer = {
        id: uuidv7(),
        debitAccountId: wallet,
        creditAccountId: venue,
        amount: '@AMOUNT@',
        kind: 'payment',
      };
      assertAmountRefused(await postRaw(c, '/api/v1/transfers', { transfers: [transfer] }, amount), amount);
      assertAmountRefused(await postRaw(c, '/api/v1/holds', { ...transfer, id: uuidv7() }, amount), amount);
    }
    assert.equal(await rows(), before);
    // The bound itself is an amount like any other (refused here only for want of funds).
    const atBound = await postRaw(
      c,
      '/api/v1/transfers',
      {
        transfers: [
          { id: uuidv7(), debitAccountId: wallet, creditAccountId: venue, amount: '@AMOUNT@', kind: 'payment' },
        ],
      },
      String(MAX_AMOUNT_MINOR),
    );
    assert.equal(atBound.statusCode, 422);
    assert.match(atBound.json().type, /ledger-insufficient-funds$/);
  });

  test('posting a hold refuses the same amounts; nothing written', async () => {
    const { c, wallet } = await loggedIn();
    // A hold of a person to another person: posting is the node's (the test only needs its amount checked first).
    const hold = await c.api('POST', '/api/v1/holds', {
      id: uuidv7(),
      debitAccountId: wallet,
      creditAccountId: (await w.placeAccount(w.venueB.id, w.euro)).id,
      amount: 100,
      kind: 'payment',
    });
    assert.equal(hold.statusCode, 201, hold.body);
    const before = await rows();
    for (const amount of BAD)
      assertAmountRefused(
        await postRaw(
          c,
          `/api/v1/holds/${hold.json().transfers[0].id}/post`,
          { id: uuidv7(), amount: '@AMOUNT@' },
          amount,
        ),
        amount,
      );
    assert.equal(await rows(), before);
  });

  test('readAmount (callers that are not HTTP) bounds by MAX_AMOUNT_MINOR', () => {
    for (const [raw, ok] of [
      [MAX_AMOUNT_MINOR, true],
      [String(MAX_AMOUNT_MINOR), true],
      [MAX_AMOUNT_MINOR + 1, false],
      [String(MAX_AMOUNT_MINOR + 1), false],
      [1e12, false],
    ] as const) {
      const errors = new FieldErrors();
      readAmount(errors, 'amount', raw);
      assert.equal(errors.list.length === 0, ok, String(raw));
    }
  });

  test('the database refuses a transfer or a payment reference above the bound, even if the application forgot', async () => {
    const p = await w.person();
    const issuance = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'system', ownerRef: 'issuance' });
    const before = await rows();
    await assert.rejects(
      inTransaction(t.db, (trx) =>
        appendTransfers(trx, {
          specs: [
            {
              id: uuidv7(),
              phase: 'single',
              kind: 'top_up',
              debitAccountId: issuance.id,
              creditAccountId: p.euro.id,
              amount: MAX_AMOUNT_MINOR + 1,
            },
          ],
          requestSha256: 'x',
          batchId: null,
          authorisation: { by: 'node', authoriserId: '', placeId: null, deviceSignature: null },
        }),
      ),
      (e: unknown) => !(e instanceof DomainError) && /check/i.test(String(e)),
    );
    await w.fund(p.euro.id, 10);
    const mint = await t.db
      .selectFrom('ledger_transfers')
      .select('id')
      .where('credit_account_id', '=', p.euro.id)
      .executeTakeFirstOrThrow();
    await assert.rejects(
      sql`insert into ledger_payment_references (provider, reference, currency_id, amount_cents, transfer_id)
        values ('cash', ${`big-${uuidv7()}`}, ${w.euro.id}, ${MAX_AMOUNT_MINOR + 1}, ${mint.id})`.execute(t.db),
      /check/i,
    );
    assert.equal(Number(await rows()), Number(before) + 2);
  });
});
