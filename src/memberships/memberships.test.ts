import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNodeWithStripe, type TestNode } from '../../test/harness.ts';
import type { FakeStripe } from '../../test/fakes/fakeStripe.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { DomainError } from '../shared/errors.ts';
import { parseCsv } from '../shared/csv.ts';
import { addMembership } from './addMembership.ts';
import { buyMembership } from './buyMembership.ts';
import { approveMembership, cancelMembership } from './changeMembership.ts';
import { createMembershipProduct } from './createMembershipProduct.ts';
import { exportMembers } from './exportMembers.ts';
import { importMembers } from './importMembers.ts';
import { membersOf, validMembershipsOf } from './memberships.ts';
import { renewMembership } from './renewMembership.ts';
import { sendRenewalReminders } from './sendRenewalReminders.ts';
import { updateMembershipProduct } from './updateMembershipProduct.ts';
import { today } from './validity.ts';
import { countRows } from '../../test/testDatabase.ts';
import { deliverOk } from '../payments/testFixtures.ts';

let t: TestNode & { fake: FakeStripe };
let fake: FakeStripe;
let admin: ReturnType<typeof personActor>;
let placeId: string;

const fieldsOf = (e: unknown) =>
  e instanceof DomainError ? e.fields.map((f) => `${f.field}:${f.message}`).sort() : [String(e)];
async function faults(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (e) {
    return fieldsOf(e);
  }
  return [];
}
const count = async (table: 'memberships' | 'membership_products' | 'people') => countRows(t.db, table);

before(async () => {
  t = await createTestNodeWithStripe();
  fake = t.fake;
  const a = await ensurePerson(t.db, 'asso-admin@example.org', 'fr');
  admin = personActor(a.id);
  const place = await createPlace(
    t.db,
    SYSTEM,
    { slug: 'asso', name: 'Asso du Jardin', timezone: 'Indian/Reunion' },
    a.id,
  );
  placeId = place.id;
  await t.db.updateTable('places').set({ stripe_account_id: 'acct_asso' }).where('id', '=', placeId).execute();
});
after(async () => {
  await t.close();
});

describe('membership products', () => {
  test('each rule is validated with its field; nothing is written on error', async () => {
    const before_ = await count('membership_products');
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['name:required', 'price_kind:choice', 'validity_kind:choice']],
      [{ name: 'x', validity_kind: 'days', validity_value: '0', price_kind: 'free' }, ['validity_value:range-between']],
      [
        { name: 'x', validity_kind: 'school_year', validity_value: '13', price_kind: 'free' },
        ['validity_value:range-between'],
      ],
      [
        { name: 'x', validity_kind: 'months', validity_value: '12', price_kind: 'fixed', price: '0' },
        ['price:price-required'],
      ],
      [
        { name: 'x', validity_kind: 'months', validity_value: '12', price_kind: 'fixed', price: '-5' },
        ['price:amount', 'price:price-required'],
      ],
      [
        { name: 'x', validity_kind: 'months', validity_value: '12', price_kind: 'fixed', price: '12,345' },
        ['price:amount', 'price:price-required'],
      ],
      [
        { name: 'x', validity_kind: 'lifetime', price_kind: 'pay_what_you_want', price: '10', min_price: '20' },
        ['min_price:min-above-price'],
      ],
      [
        { name: 'x'.repeat(121), validity_kind: 'lifetime', price_kind: 'free', reminder_days: '400' },
        ['name:too-long', 'reminder_days:range-between'],
      ],
    ];
    for (const [input, expected] of cases) {
      assert.deepEqual(
        await faults(() => createMembershipProduct(t.db, admin, 'asso', input)),
        expected,
        JSON.stringify(input),
      );
    }
    assert.equal(await count('membership_products'), before_);
  });

  test('only the venue admin (or an operator) manages products', async () => {
    const editor = await ensurePerson(t.db, 'editor@example.org', 'fr');
    await t.db
      .insertInto('place_members')
      .values({ place_id: placeId, person_id: editor.id, role: 'editor' })
      .execute();
    const input = { name: 'Soutien', validity_kind: 'calendar_year', price_kind: 'fixed', price: '10' };
    await assert.rejects(
      createMembershipProduct(t.db, personActor(editor.id), 'asso', input),
      (e: unknown) => e instanceof DomainError && e.status === 403,
    );
    const otherAdmin = await ensurePerson(t.db, 'other-admin@example.org', 'fr');
    await createPlace(t.db, SYSTEM, { slug: 'other-asso', name: 'Other' }, otherAdmin.id);
    await assert.rejects(
      createMembershipProduct(t.db, personActor(otherAdmin.id), 'asso', input),
      (e: unknown) => e instanceof DomainError && e.status === 403,
    );
    const operator = await ensurePerson(t.db, 'op@example.org', 'fr');
    const p = await createMembershipProduct(t.db, personActor(operator.id, true), 'asso', input);
    assert.equal(p.priceCents, 1000);
    const off = await updateMembershipProduct(t.db, admin, {
      slug: 'asso',
      productId: p.id,
      fields: input,
      active: false,
    });
    assert.equal(off.active, false);
  });
});

describe('memberships at the venue', () => {
  test('an admin records a cash membership: account created, dates from the rule, mail in the member language', async () => {
    const product = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Annuelle',
      validity_kind: 'months',
      validity_value: '12',
      price_kind: 'fixed',
      price: '15',
    });
    await ensurePerson(t.db, 'english@example.org', 'en');
    const m = await addMembership(t.db, t.config, admin, {
      slug: 'asso',
      email: 'English@Example.org',
      productId: product.id,
      method: 'cash',
      amount: '15',
      startsOn: '2026-03-01',
    });
    assert.equal(m.status, 'active');
    assert.equal(m.startsOn, '2026-03-01');
    assert.equal(m.endsOn, '2027-02-28');
    assert.equal(m.amountCents, 1500);
    const mail = await t.lastMailTo('english@example.org');
    assert.equal(mail?.language, 'en');
    assert.match(mail!.text, /Valid from 2026-03-01 to 2027-02-28/);
    const listed = await membersOf(t.db, placeId, { search: 'english' });
    assert.deepEqual(
      listed.map((x) => x.id),
      [m.id],
    );
    // Valid on its days, not the day after.
    const person = await ensurePerson(t.db, 'english@example.org', 'en');
    assert.equal((await validMembershipsOf(t.db, person.id, '2027-02-28')).length, 1);
    assert.equal((await validMembershipsOf(t.db, person.id, '2027-03-01')).length, 0);
    assert.equal((await validMembershipsOf(t.db, person.id, '2027-02-28', [])).length, 0);
  });

  test('bad input is refused field by field and writes nothing', async () => {
    const product = (
      await t.db
        .selectFrom('membership_products')
        .select('id')
        .where('place_id', '=', placeId)
        .executeTakeFirstOrThrow()
    ).id;
    const [m0, p0] = [await count('memberships'), await count('people')];
    assert.deepEqual(
      await faults(() =>
        addMembership(t.db, t.config, admin, {
          slug: 'asso',
          email: 'nope',
          productId: 'x',
          method: 'bitcoin',
          amount: 'ten',
          startsOn: '2026-02-30',
        }),
      ),
      ['amount:amount', 'email:email', 'method:choice', 'product:choice', 'starts_on:day'],
    );
    assert.deepEqual(
      await faults(() =>
        addMembership(t.db, t.config, admin, {
          slug: 'asso',
          email: 'new@example.org',
          productId: '00000000-0000-7000-8000-000000000000',
          method: 'free',
        }),
      ),
      ['product:choice'],
    );
    assert.deepEqual(
      [await count('memberships'), await count('people')],
      [m0, p0],
      'no membership and no account were created',
    );
    void product;
  });

  test('renewal starts the day after the end; cancel stops it at once; approval only for pending ones', async () => {
    const product = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Mensuelle',
      validity_kind: 'months',
      validity_value: '1',
      price_kind: 'fixed',
      price: '3',
    });
    const first = await addMembership(t.db, t.config, admin, {
      slug: 'asso',
      email: 'renew@example.org',
      productId: product.id,
      method: 'cheque',
      amount: '3',
      startsOn: '2099-01-10',
    });
    const second = await renewMembership(t.db, t.config, admin, {
      slug: 'asso',
      membershipId: first.id,
      method: 'cash',
      amount: '3',
    });
    assert.equal(second.startsOn, '2099-02-10');
    assert.equal(second.endsOn, '2099-03-09');
    const cancelled = await cancelMembership(t.db, admin, { slug: 'asso', membershipId: second.id });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await validMembershipsOf(t.db, second.personId, '2099-02-15')).length, 0);
    await assert.rejects(
      approveMembership(t.db, t.config, admin, { slug: 'asso', membershipId: first.id }),
      (e: unknown) => e instanceof DomainError && e.code === 'membership-not-pending',
    );
  });
});

describe('memberships bought online', () => {
  test('a free membership needing approval waits, then the admin approves it', async () => {
    const product = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Bénévole',
      validity_kind: 'calendar_year',
      price_kind: 'free',
      requires_approval: 'on',
    });
    const member = await ensurePerson(t.db, 'volunteer@example.org', 'fr');
    const r = await buyMembership(t.db, t.node.stripe, t.config, personActor(member.id), {
      slug: 'asso',
      productId: product.id,
    });
    assert.deepEqual(
      { kind: r.kind, status: r.kind === 'done' ? r.status : null },
      { kind: 'done', status: 'pending_approval' },
    );
    assert.equal((await validMembershipsOf(t.db, member.id, today('Indian/Reunion'))).length, 0);
    await approveMembership(t.db, t.config, admin, { slug: 'asso', membershipId: r.membershipId });
    assert.equal((await validMembershipsOf(t.db, member.id, today('Indian/Reunion'))).length, 1);
  });

  test('pay-what-you-want below the minimum is refused; above it, Stripe payment activates the membership once', async () => {
    const product = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Libre',
      validity_kind: 'months',
      validity_value: '12',
      price_kind: 'pay_what_you_want',
      price: '20',
      min_price: '5',
    });
    const member = await ensurePerson(t.db, 'payer@example.org', 'fr');
    const actor = personActor(member.id);
    const before_ = await count('memberships');
    assert.deepEqual(
      await faults(() =>
        buyMembership(t.db, t.node.stripe, t.config, actor, { slug: 'asso', productId: product.id, amount: '4,99' }),
      ),
      ['amount:below-minimum'],
    );
    assert.equal(await count('memberships'), before_);
    const r = await buyMembership(t.db, t.node.stripe, t.config, actor, {
      slug: 'asso',
      productId: product.id,
      amount: '12',
    });
    assert.equal(r.kind, 'pay');
    const payment = await t.db
      .selectFrom('payments')
      .selectAll()
      .where('subject_id', '=', r.membershipId)
      .executeTakeFirstOrThrow();
    assert.equal(payment.amount_cents, 1200);
    assert.equal(fake.sessions.get(payment.provider_session_id!)!.account, 'acct_asso');
    const event = fake.complete(payment.provider_session_id!);
    for (let i = 0; i < 2; i++) {
      await deliverOk(t, event);
    }
    const m = await t.db
      .selectFrom('memberships')
      .selectAll()
      .where('id', '=', r.membershipId)
      .executeTakeFirstOrThrow();
    assert.equal(m.status, 'active');
    assert.equal(m.payment_id, payment.id);
  });

  test('a membership cancelled before its payment arrives gets the payment refunded', async () => {
    const product = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Fixe',
      validity_kind: 'days',
      validity_value: '30',
      price_kind: 'fixed',
      price: '7',
    });
    const member = await ensurePerson(t.db, 'late@example.org', 'fr');
    const r = await buyMembership(t.db, t.node.stripe, t.config, personActor(member.id), {
      slug: 'asso',
      productId: product.id,
    });
    assert.equal(r.kind, 'pay');
    await cancelMembership(t.db, admin, { slug: 'asso', membershipId: r.membershipId });
    const payment = await t.db
      .selectFrom('payments')
      .selectAll()
      .where('subject_id', '=', r.membershipId)
      .executeTakeFirstOrThrow();
    const { payload, signature } = fake.signed(fake.complete(payment.provider_session_id!));
    await t.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
    });
    const after_ = await t.db
      .selectFrom('payments')
      .select('status')
      .where('id', '=', payment.id)
      .executeTakeFirstOrThrow();
    assert.ok(['refund_pending', 'refunded'].includes(after_.status), after_.status);
    assert.equal(
      (await t.db.selectFrom('memberships').select('status').where('id', '=', r.membershipId).executeTakeFirstOrThrow())
        .status,
      'cancelled',
    );
  });

  test('an inactive or unknown product cannot be bought', async () => {
    const member = await ensurePerson(t.db, 'nobuy@example.org', 'fr');
    const off = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Ancienne',
      validity_kind: 'lifetime',
      price_kind: 'free',
    });
    await updateMembershipProduct(t.db, admin, {
      slug: 'asso',
      productId: off.id,
      fields: { name: 'Ancienne', validity_kind: 'lifetime', price_kind: 'free' },
      active: false,
    });
    for (const productId of [off.id, 'not-a-uuid']) {
      await assert.rejects(
        buyMembership(t.db, t.node.stripe, t.config, personActor(member.id), { slug: 'asso', productId }),
        (e: unknown) => e instanceof DomainError && e.status === 404,
      );
    }
    await assert.rejects(
      buyMembership(t.db, t.node.stripe, t.config, SYSTEM, { slug: 'asso', productId: off.id }),
      (e: unknown) => e instanceof DomainError && e.status === 401,
    );
  });
});

describe('calendar-year memberships bought late in the year', () => {
  // The rule applies from its day on; "01/01" makes it apply on any day this test runs.
  const joinLate = async (email: string, fields: Record<string, string>) => {
    const product = await createMembershipProduct(t.db, admin, 'asso', { validity_kind: 'calendar_year', ...fields });
    const member = await ensurePerson(t.db, email, 'fr');
    const r = await buyMembership(t.db, t.node.stripe, t.config, personActor(member.id), {
      slug: 'asso',
      productId: product.id,
    });
    const stored = await t.db
      .selectFrom('memberships')
      .select(['starts_on', 'ends_on', 'amount_cents'])
      .where('id', '=', r.membershipId)
      .executeTakeFirstOrThrow();
    return { product, r, stored, day: today('Indian/Reunion') };
  };

  test('next_year: stored to 31 December of next year, at the full price; the rule is checked', async () => {
    assert.deepEqual(
      await faults(() =>
        createMembershipProduct(t.db, admin, 'asso', {
          name: 'Mois',
          validity_kind: 'months',
          validity_value: '1',
          price_kind: 'fixed',
          price: '5',
          late_rule: 'next_year',
          late_from: '31/04',
        }),
      ),
      ['late_from:day-of-year', 'late_rule:late-rule-calendar-year'],
    );
    const { product, stored, day } = await joinLate('late@example.org', {
      name: 'Saison',
      price_kind: 'free',
      late_rule: 'next_year',
      late_from: '1/1',
    });
    assert.equal(product.lateFrom, '01-01');
    assert.deepEqual(stored, { starts_on: day, ends_on: `${Number(day.slice(0, 4)) + 1}-12-31`, amount_cents: 0 });
  });

  test('pro_rata: the amount asked and stored is the share of the days left', async () => {
    const { r, stored, day } = await joinLate('prorata@example.org', {
      name: 'Prorata',
      price_kind: 'fixed',
      price: '365',
      late_rule: 'pro_rata',
      late_from: '01/01',
    });
    assert.equal(r.kind, 'pay');
    const year = Number(day.slice(0, 4));
    const left = (Date.parse(`${year}-12-31`) - Date.parse(day)) / 86_400_000 + 1;
    const inYear = (Date.parse(`${year}-12-31`) - Date.parse(`${year}-01-01`)) / 86_400_000 + 1;
    const expected = Math.round((36500 * left) / inYear);
    assert.deepEqual(stored, { starts_on: day, ends_on: `${year}-12-31`, amount_cents: expected });
    const payment = await t.db
      .selectFrom('payments')
      .select('amount_cents')
      .where('subject_id', '=', r.membershipId)
      .executeTakeFirstOrThrow();
    assert.equal(payment.amount_cents, expected);
  });
});

describe('CSV import and export', () => {
  test('the preview reports each bad row by line and writes nothing; applying imports exactly the good rows', async () => {
    await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Import',
      validity_kind: 'calendar_year',
      price_kind: 'fixed',
      price: '10',
    });
    const csv = [
      'email;name;product;starts_on;method;amount',
      'alice@example.org;Alice;import;2026-01-15;cash;10',
      'bob@example.org;Bob;Import;;cheque;10,00',
      'not-an-email;X;Import;2026-01-01;cash;10',
      'carol@example.org;Carol;Unknown;2026-01-01;cash;10',
      'dan@example.org;Dan;Import;2026-13-01;cash;10',
      'erin@example.org;Erin;Import;2026-01-01;paypal;10',
      'fay@example.org;Fay;Import;2026-01-01;cash;dix',
      'alice@example.org;Alice;Import;2026-01-15;cash;10',
    ].join('\n');
    const [m0, p0] = [await count('memberships'), await count('people')];
    const preview = await importMembers(t.db, t.config, admin, { slug: 'asso', csv, apply: false });
    assert.deepEqual(
      preview.accepted.map((r) => r.line),
      [2, 3],
    );
    assert.deepEqual(
      preview.rejected.map((r) => `${r.line}:${r.reason}`),
      ['4:email', '5:product', '6:date', '7:method', '8:amount', '9:duplicate'],
    );
    assert.equal(preview.imported, false);
    assert.deepEqual([await count('memberships'), await count('people')], [m0, p0]);
    const applied = await importMembers(t.db, t.config, admin, { slug: 'asso', csv, apply: true });
    assert.equal(applied.imported, true);
    assert.equal(await count('memberships'), m0 + 2);
    const alice = (await membersOf(t.db, placeId, { search: 'alice@' }))[0]!;
    assert.deepEqual(
      [alice.name, alice.startsOn, alice.endsOn, alice.amountCents],
      ['Alice', '2026-01-15', '2026-12-31', 1000],
    );
  });

  test('a file without the required columns is refused', async () => {
    assert.deepEqual(
      await faults(() =>
        importMembers(t.db, t.config, admin, { slug: 'asso', csv: 'mail,offer\na@b.org,x', apply: false }),
      ),
      ['file:csv-header'],
    );
  });

  test('export is CSV that spreadsheets open safely and import reads back', async () => {
    const product = await createMembershipProduct(t.db, admin, 'asso', {
      name: 'Export',
      validity_kind: 'lifetime',
      price_kind: 'free',
    });
    const evil = await ensurePerson(t.db, 'formula@example.org', 'fr');
    await t.db.updateTable('people').set({ name: '=HYPERLINK("http://evil")' }).where('id', '=', evil.id).execute();
    await addMembership(t.db, t.config, admin, {
      slug: 'asso',
      email: 'formula@example.org',
      productId: product.id,
      method: 'free',
    });
    const csv = await exportMembers(t.db, admin, 'asso');
    const rows = parseCsv(csv);
    assert.deepEqual(rows[0], [
      'email',
      'name',
      'product',
      'starts_on',
      'ends_on',
      'status',
      'method',
      'amount',
      'note',
    ]);
    const row = rows.find((r) => r[0] === 'formula@example.org')!;
    assert.equal(row[1], `'=HYPERLINK("http://evil")`);
    assert.equal(row[4], '');
    await assert.rejects(
      exportMembers(t.db, personActor((await ensurePerson(t.db, 'stranger@example.org', 'fr')).id), 'asso'),
      (e: unknown) => e instanceof DomainError && e.status === 403,
    );
  });
});

test('renewal reminders go once, within the window, in the venue calendar, unless already renewed', async () => {
  const product = await createMembershipProduct(t.db, admin, 'asso', {
    name: 'Rappel',
    validity_kind: 'days',
    validity_value: '10',
    price_kind: 'fixed',
    price: '1',
    reminder_days: '5',
  });
  const start = today('Indian/Reunion');
  const due = await addMembership(t.db, t.config, admin, {
    slug: 'asso',
    email: 'remind-me@example.org',
    productId: product.id,
    method: 'cash',
    amount: '1',
    startsOn: start,
  });
  const renewed = await addMembership(t.db, t.config, admin, {
    slug: 'asso',
    email: 'renewed@example.org',
    productId: product.id,
    method: 'cash',
    amount: '1',
    startsOn: start,
  });
  await renewMembership(t.db, t.config, admin, { slug: 'asso', membershipId: renewed.id, method: 'cash', amount: '1' });
  // Not yet in the window (ends in 9 days, reminder 5 days before).
  assert.equal(await sendRenewalReminders(t.db, t.config), 0);
  await sql`update memberships set starts_on = starts_on - 6, ends_on = ends_on - 6 where id in (${due.id}, ${renewed.id})`.execute(
    t.db,
  );
  assert.equal(await sendRenewalReminders(t.db, t.config), 1);
  assert.match((await t.lastMailTo('remind-me@example.org'))!.subject, /se termine bientôt/);
  assert.equal(await sendRenewalReminders(t.db, t.config), 0, 'once only');
});
