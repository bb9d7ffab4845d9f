import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onPostgres, type TestNode, useTestNode } from '../../test/harness.ts';
import { personActor, SYSTEM, type Actor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { PaymentProvider, PaymentStatus } from './tables.ts';
import { queueRefund } from './queueRefund.ts';
import { codeOf } from '../../test/testDatabase.ts';

let t: TestNode;
useTestNode((node) => (t = node));

async function venue(slug: string) {
  const admin = await ensurePerson(t.db, `admin@${slug}.example`, 'fr');
  const place = await createPlace(t.db, SYSTEM, { slug, name: `Salle ${slug}`, modules: ['ticketing'] }, admin.id);
  return { place, admin: personActor(admin.id) };
}

async function payment(
  placeId: string | null,
  options: { received?: number; status?: PaymentStatus; provider?: PaymentProvider } = {},
) {
  const id = uuidv7();
  await t.db
    .insertInto('payments')
    .values({
      id,
      place_id: placeId,
      purpose: 'order',
      subject_id: uuidv7(),
      provider: options.provider ?? 'stripe',
      amount_cents: 1000,
      received_cents: options.received ?? 1000,
      person_id: null,
      status: options.status ?? 'paid',
      provider_session_id: null,
      provider_payment_id: `pi_${id.replaceAll('-', '')}`,
      checkout_url: null,
      method: null,
      failure: null,
    })
    .execute();
  return id;
}
const refundsOf = (paymentId: string) =>
  t.db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('created_at').execute();
const statusOf = async (paymentId: string) =>
  (await t.db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirstOrThrow()).status;

test('without an amount, refunds everything received once; a second call queues nothing', async () => {
  const { place } = await venue('rf-all');
  const id = await payment(place.id, { received: 1000 });
  assert.deepEqual((await queueRefund(t.db, SYSTEM, { paymentId: id, reason: 'order_cancelled' }))?.amountCents, 1000);
  assert.equal(await queueRefund(t.db, SYSTEM, { paymentId: id, reason: 'order_cancelled' }), null);
  const rows = await refundsOf(id);
  assert.deepEqual(
    rows.map((r) => [r.amount_cents, r.status, r.reason]),
    [[1000, 'pending', 'order_cancelled']],
  );
  assert.equal(await statusOf(id), 'refund_pending');
  const audited = await t.db.selectFrom('audit_log').select('action').where('subject_id', '=', id).execute();
  assert.deepEqual(
    audited.map((a) => a.action),
    ['payment.refund-queued'],
  );
});

test('never more than received minus refunds pending or succeeded; the refused call writes nothing', async () => {
  const { place } = await venue('rf-cap');
  const id = await payment(place.id, { received: 900 });
  await queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 300, reason: 'goodwill' });
  await t.db.updateTable('refunds').set({ status: 'succeeded' }).where('payment_id', '=', id).execute();
  await queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 500, reason: 'goodwill' });
  await assert.rejects(
    queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 101, reason: 'goodwill' }),
    (e: unknown) => codeOf(e) === 'refund-too-large' && (e as DomainError).params.left === 100,
  );
  // A failed refund gave nothing back: its amount is available again.
  await queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 100, reason: 'goodwill' });
  await assert.rejects(
    queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 1, reason: 'goodwill' }),
    (e: unknown) => codeOf(e) === 'refund-too-large',
  );
  await t.db
    .updateTable('refunds')
    .set({ status: 'failed' })
    .where('payment_id', '=', id)
    .where('amount_cents', '=', 100)
    .execute();
  assert.equal((await queueRefund(t.db, SYSTEM, { paymentId: id, reason: 'goodwill' }))?.amountCents, 100);
  assert.deepEqual(
    (await refundsOf(id)).map((r) => r.amount_cents),
    [300, 500, 100, 100],
  );
});

test('bad input, unknown or unpaid payments, and actors without the right are refused, nothing written', async () => {
  const { place, admin } = await venue('rf-bad');
  const other = await venue('rf-other');
  const id = await payment(place.id);
  for (const amountCents of [0, -5, 1.5, '100', null, Number.MAX_SAFE_INTEGER + 2]) {
    await assert.rejects(
      queueRefund(t.db, SYSTEM, { paymentId: id, amountCents, reason: 'x_y' }),
      (e: unknown) => codeOf(e) === 'amountCents:invalid',
      `amount ${String(amountCents)}`,
    );
  }
  await assert.rejects(
    queueRefund(t.db, SYSTEM, { paymentId: 'nope', reason: 'x_y' }),
    (e: unknown) => codeOf(e) === 'paymentId:choice',
  );
  await assert.rejects(
    queueRefund(t.db, SYSTEM, { paymentId: id, reason: 'Robert; drop' }),
    (e: unknown) => codeOf(e) === 'reason:format',
  );
  await assert.rejects(
    queueRefund(t.db, SYSTEM, { paymentId: uuidv7(), reason: 'x_y' }),
    (e: unknown) => codeOf(e) === 'not-found',
  );
  for (const status of ['pending', 'failed', 'expired'] as const) {
    const unpaid = await payment(place.id, { status, received: 0 });
    await assert.rejects(
      queueRefund(t.db, SYSTEM, { paymentId: unpaid, reason: 'x_y' }),
      (e: unknown) => codeOf(e) === 'payment-not-refundable',
      status,
    );
  }
  const stranger = personActor((await ensurePerson(t.db, 'stranger@example.org', 'fr')).id);
  await assert.rejects(
    queueRefund(t.db, stranger, { paymentId: id, reason: 'x_y' }),
    (e: unknown) => codeOf(e) === 'forbidden',
  );
  await assert.rejects(
    queueRefund(t.db, other.admin, { paymentId: id, reason: 'x_y' }),
    (e: unknown) => codeOf(e) === 'forbidden',
  );
  const noTill: Actor = {
    kind: 'apiKey',
    keyId: uuidv7(),
    placeId: place.id,
    scopes: ['events:write', 'checkin'],
  } as Actor;
  await assert.rejects(
    queueRefund(t.db, noTill, { paymentId: id, reason: 'x_y' }),
    (e: unknown) => codeOf(e) === 'api-key-scope',
  );
  const federation = await payment(null);
  await assert.rejects(
    queueRefund(t.db, admin, { paymentId: federation, reason: 'x_y' }),
    (e: unknown) => codeOf(e) === 'forbidden',
  );
  assert.equal((await refundsOf(id)).length, 0);
  assert.equal((await refundsOf(federation)).length, 0);
  assert.equal(await statusOf(id), 'paid');
  // The venue's own admin may (till).
  assert.equal(
    (await queueRefund(t.db, admin, { paymentId: id, amountCents: 250, reason: 'goodwill' }))?.amountCents,
    250,
  );
});

test('an on-site payment is given back by hand: its refund is recorded as done at once', async () => {
  const { place } = await venue('rf-site');
  const id = await payment(place.id, { provider: 'on_site', received: 1200 });
  await queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 200, reason: 'goodwill' });
  assert.equal(await statusOf(id), 'partially_refunded');
  await queueRefund(t.db, SYSTEM, { paymentId: id, reason: 'order_cancelled' });
  assert.equal(await statusOf(id), 'refunded');
  assert.deepEqual(
    (await refundsOf(id)).map((r) => [r.amount_cents, r.status, r.succeeded_at !== null]),
    [
      [200, 'succeeded', true],
      [1000, 'succeeded', true],
    ],
  );
});

test(
  'concurrent refunds of one payment never exceed what was received',
  { skip: !onPostgres && 'needs PostgreSQL' },
  async () => {
    const { place } = await venue('rf-race');
    const id = await payment(place.id, { received: 1000 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        queueRefund(t.db, SYSTEM, { paymentId: id, amountCents: 300, reason: 'goodwill' }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.ok(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => codeOf((r as PromiseRejectedResult).reason) === 'refund-too-large'),
    );
    assert.equal(
      (await refundsOf(id)).reduce((a, r) => a + r.amount_cents, 0),
      900,
    );
  },
);
