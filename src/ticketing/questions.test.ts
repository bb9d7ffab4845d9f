import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNodeWithStripe, type Client, type TestNode } from '../../test/harness.ts';
import type { FakeStripe } from '../../test/fakes/fakeStripe.ts';
import { SYSTEM } from '../access/actor.ts';
import { parseCsv } from '../shared/csv.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { completeOrder } from './completeOrder.ts';
import { quantityField } from './eventTickets.ts';
import { placeOrder } from './placeOrder.ts';
import { deleteTicketQuestion, saveTicketQuestion } from './questions.ts';
import { eventOnStripe, eventWithDates } from './testFixtures.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode & { fake: FakeStripe };
let admin: Client;
let ev: Awaited<ReturnType<typeof eventWithDates>>;
let fixed: string;
let free: string;
const q: Record<'diet' | 'size' | 'rules', string> = { diet: '', size: '', rules: '' };

before(async () => {
  t = await createTestNodeWithStripe();
  const sale = await eventOnStripe(
    t.db,
    { slug: 'quiz-hall', capacity: 20 },
    { name: 'Plein tarif', kind: 'fixed', price: '10' },
    { name: 'Invitation', kind: 'free' },
  );
  ({
    priceIds: [fixed, free],
  } = sale);
  ev = sale;
  admin = await t.loginAs('admin@quiz-hall.example');
});
after(() => t.close());

const count = async (table: 'orders' | 'order_answers') => countRows(t.db, table);
const taken = async () =>
  (
    await t.db
      .selectFrom('date_capacity')
      .select('taken')
      .where('event_date_id', '=', ev.dateIds[0]!)
      .executeTakeFirstOrThrow()
  ).taken;
const fieldsOf = (e: unknown) =>
  e instanceof DomainError ? e.fields.map((f) => `${f.field}:${f.message}`).sort() : [String(e)];

test('the venue sets questions on the ticketing page, with clear errors; strangers cannot', async () => {
  const base = `/venues/quiz-hall/admin/events/${ev.eventId}/tickets`;
  const page = await admin.get(base);
  assert.match(page.body, /Questions à la commande/);
  assert.match(page.body, /Aucune question/);
  const bad = await admin.postForm(`${base}/questions`, {
    questionLabel: '',
    questionKind: 'choice',
    questionChoices: '',
    questionPosition: 'x',
  });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /<a href="#questionLabel">Question<\/a> : Ce champ est obligatoire/);
  assert.match(bad.body, /<a href="#questionChoices">Choix proposés<\/a> : Ce champ est obligatoire/);
  assert.match(bad.body, /<a href="#questionPosition">Ordre<\/a>/);
  assert.match(bad.body, /id="questionLabel" name="questionLabel" type="text" value="" required aria-invalid="true"/);
  assert.equal(
    await t.db
      .selectFrom('ticket_questions')
      .select('id')
      .execute()
      .then((r) => r.length),
    0,
  );

  const ok = await admin.postForm(`${base}/questions`, {
    questionLabel: 'Régime alimentaire',
    questionKind: 'text',
    questionRequired: 'yes',
    questionPosition: '1',
  });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /La question est enregistrée/);
  await admin.postForm(`${base}/questions`, {
    questionLabel: 'Taille du t-shirt',
    questionKind: 'choice',
    questionChoices: 'S\r\nM\r\nL\r\nM',
    questionRequired: 'yes',
    questionPerTicket: 'yes',
    questionPosition: '2',
  });
  await admin.postForm(`${base}/questions`, {
    questionLabel: 'J’accepte le règlement',
    questionKind: 'checkbox',
    questionRequired: 'yes',
    questionPosition: '3',
  });
  const rows = await t.db
    .selectFrom('ticket_questions')
    .selectAll()
    .where('event_id', '=', ev.eventId)
    .orderBy('position')
    .execute();
  assert.deepEqual(
    rows.map((r) => [r.label, r.kind, r.choices, r.required, r.per_ticket]),
    [
      ['Régime alimentaire', 'text', [], true, false],
      ['Taille du t-shirt', 'choice', ['S', 'M', 'L'], true, true],
      ['J’accepte le règlement', 'checkbox', [], true, false],
    ],
  );
  [q.diet, q.size, q.rules] = rows.map((r) => r.id) as [string, string, string];

  // Editing: a bad change re-renders that question's form with its error; a good one saves.
  const badEdit = await admin.postForm(`${base}/questions/${q.diet}`, {
    questionLabel: 'x'.repeat(201),
    questionKind: 'text',
    questionPosition: '1',
  });
  assert.equal(badEdit.statusCode, 422);
  assert.match(badEdit.body, new RegExp(`id="questionLabel-${q.diet}-error">Trop long : 200 caractères au plus`));
  const edit = await admin.postForm(`${base}/questions/${q.diet}`, {
    questionLabel: 'Allergies ou régime',
    questionKind: 'text',
    questionRequired: 'yes',
    questionPosition: '1',
  });
  assert.equal(edit.statusCode, 200);
  assert.equal(
    (await t.db.selectFrom('ticket_questions').select('label').where('id', '=', q.diet).executeTakeFirstOrThrow())
      .label,
    'Allergies ou régime',
  );

  const stranger = await t.loginAs('stranger@example.org');
  assert.equal(
    (await stranger.postForm(`${base}/questions`, { questionLabel: 'Hack', questionKind: 'text' })).statusCode,
    403,
  );
  assert.equal((await stranger.postForm(`${base}/questions/${q.diet}/delete`, {})).statusCode, 403);
  assert.equal((await stranger.get(`${base}/attendees`)).statusCode, 403);
  await assert.rejects(
    saveTicketQuestion(t.db, ev.admin, { slug: 'quiz-hall', eventId: ev.eventId, label: 'Q', kind: 'poll' }),
    (e: unknown) => fieldsOf(e).join() === 'questionKind:choice',
  );
  await assert.rejects(
    saveTicketQuestion(t.db, ev.admin, {
      slug: 'quiz-hall',
      eventId: ev.eventId,
      id: uuidv7(),
      label: 'Q',
      kind: 'text',
    }),
    (e: unknown) => e instanceof DomainError && e.code === 'not-found',
  );
  assert.equal((await t.db.selectFrom('ticket_questions').select('id').execute()).length, 3);
});

test('the API lists the questions and refuses missing, unknown or bad answers with 422 fields, writing nothing', async () => {
  const list = await t.app.inject({ url: `/api/v1/events/${ev.eventId}/questions` });
  assert.equal(list.statusCode, 200);
  assert.deepEqual(
    list.json().items.map((x: { label: string; perTicket: boolean }) => [x.label, x.perTicket]),
    [
      ['Allergies ou régime', false],
      ['Taille du t-shirt', true],
      ['J’accepte le règlement', false],
    ],
  );
  const c = t.client();
  const orders = await count('orders');
  const body = (answers: unknown[]) => ({
    venue: 'quiz-hall',
    email: 'api@example.org',
    lines: [{ priceId: fixed, eventDateId: ev.dateIds[0], quantity: 2 }],
    answers,
  });
  const none = await c.api('POST', '/api/v1/orders', body([]));
  assert.equal(none.statusCode, 422);
  assert.deepEqual(
    none
      .json()
      .errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`)
      .sort(),
    [
      `answers.${q.diet}:required`,
      `answers.${q.rules}:required`,
      `answers.${q.size}.0:required`,
      `answers.${q.size}.1:required`,
    ].sort(),
  );
  const bad = await c.api(
    'POST',
    '/api/v1/orders',
    body([
      { questionId: q.diet, value: 'x'.repeat(501) },
      { questionId: q.size, ticket: 0, value: 'XXL' },
      { questionId: q.size, ticket: 1, value: 'M' },
      { questionId: q.size, ticket: 2, value: 'M' },
      { questionId: q.rules, value: false },
      { questionId: uuidv7(), value: 'x' },
    ]),
  );
  assert.equal(bad.statusCode, 422);
  const codes = bad.json().errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`);
  assert.ok(codes.includes(`answers.${q.diet}:too-long`), codes.join());
  assert.ok(codes.includes(`answers.${q.size}.0:choice`), codes.join());
  assert.ok(codes.includes(`answers.${q.size}.2:unknown-field`), codes.join());
  assert.ok(codes.includes(`answers.${q.rules}:required`), codes.join());
  assert.ok(!codes.includes(`answers.${q.size}.1:choice`), codes.join());
  assert.equal(codes.filter((x: string) => x.endsWith('unknown-field')).length, 2);
  assert.match(bad.json().errors.find((e: { code: string }) => e.code === 'too-long').message, /500/);
  // A bad address and bad answers are reported together.
  await assert.rejects(
    placeOrder(t.db, t.config, null, {
      slug: 'quiz-hall',
      email: 'nope',
      language: 'fr',
      lines: [{ priceId: fixed, eventDateId: ev.dateIds[0]!, quantity: 1 }],
      answers: [],
    }),
    (e: unknown) =>
      fieldsOf(e).join() ===
      ['email:email', `answers.${q.diet}:required`, `answers.${q.rules}:required`, `answers.${q.size}.0:required`]
        .sort()
        .join(),
  );
  assert.equal(await count('orders'), orders);
  assert.equal(await count('order_answers'), 0);
  assert.equal(await taken(), 0);

  const good = await c.api(
    'POST',
    '/api/v1/orders',
    body([
      { questionId: q.diet, value: '  Sans gluten ' },
      { questionId: q.size, ticket: 0, value: 'S' },
      { questionId: q.size, ticket: 1, value: 'L' },
      { questionId: q.rules, value: true },
    ]),
  );
  assert.equal(good.statusCode, 201);
  const stored = await t.db
    .selectFrom('order_answers')
    .selectAll()
    .where('order_id', '=', good.json().id)
    .orderBy('id')
    .execute();
  assert.deepEqual(
    stored.map((a) => [a.label, a.value, a.line_rank]),
    [
      ['Allergies ou régime', 'Sans gluten', null],
      ['Taille du t-shirt', 'S', 0],
      ['Taille du t-shirt', 'L', 1],
      ['J’accepte le règlement', 'yes', null],
    ],
  );
  const line = await t.db
    .selectFrom('order_lines')
    .select('id')
    .where('order_id', '=', good.json().id)
    .executeTakeFirstOrThrow();
  assert.ok(stored.filter((a) => a.line_rank !== null).every((a) => a.line_id === line.id));
});

test('the checkout page asks the questions after the cart, shows field errors beside each field, then books', async () => {
  const c = t.client();
  const cart = { email: 'page@example.org', name: 'Léa', [quantityField(free, ev.dateIds[0]!)]: '2' };
  const step = await c.postForm(`/events/${ev.eventId}/order`, cart);
  assert.equal(step.statusCode, 200);
  assert.match(step.body, /Vos coordonnées et les questions de l’organisateur/);
  assert.match(
    step.body,
    /<label for="qa-[0-9a-f-]+">Allergies ou régime <span aria-hidden="true">\*<\/span><\/label>/,
  );
  assert.match(step.body, /Billet 1 — Invitation/);
  assert.match(step.body, /Billet 2 — Invitation/);
  assert.match(step.body, /<option value="M">M<\/option>/);
  assert.match(
    step.body,
    new RegExp(`<input type="hidden" name="${quantityField(free, ev.dateIds[0]!).replace(/\./g, '\\.')}" value="2">`),
  );
  assert.equal(await count('orders'), 1, 'the cart step writes nothing');

  const sizeField = (n: number) => `qa.${q.size}.${n}`;
  const missing = await c.postForm(`/events/${ev.eventId}/order`, {
    ...cart,
    _step: 'details',
    [`qa.${q.diet}`]: 'x'.repeat(501),
    [sizeField(0)]: 'XXL',
    [sizeField(1)]: 'M',
  });
  assert.equal(missing.statusCode, 422);
  assert.match(
    missing.body,
    new RegExp(
      `id="qa-${q.diet}" name="qa.${q.diet}" maxlength="500" value="x+" required aria-invalid="true" aria-describedby="qa-${q.diet}-error"`,
    ),
  );
  assert.match(
    missing.body,
    new RegExp(`<p class="error" id="qa-${q.diet}-error">Trop long : 500 caractères au plus.</p>`),
  );
  assert.match(missing.body, new RegExp(`<p class="error" id="qa-${q.size}-0-error">Ce choix n’est pas possible.</p>`));
  assert.match(missing.body, new RegExp(`<p class="error" id="qa-${q.rules}-error">Ce champ est obligatoire.</p>`));
  assert.match(missing.body, /<option value="M" selected>M<\/option>/, 'what was typed is kept');
  assert.equal(await count('orders'), 1);

  const done = await c.postForm(`/events/${ev.eventId}/order`, {
    ...cart,
    _step: 'details',
    [`qa.${q.diet}`]: 'Végétarien',
    [sizeField(0)]: 'M',
    [sizeField(1)]: 'S',
    [`qa.${q.rules}`]: 'yes',
  });
  assert.equal(done.statusCode, 200);
  assert.match(done.body, /Vérifiez vos courriels/);
  const order = await t.db
    .selectFrom('orders')
    .select('id')
    .where('email', '=', 'page@example.org')
    .executeTakeFirstOrThrow();
  assert.equal(
    (await t.db.selectFrom('order_answers').select('id').where('order_id', '=', order.id).execute()).length,
    4,
  );
  // An empty cart never reaches the questions.
  const empty = await c.postForm(`/events/${ev.eventId}/order`, { email: 'page@example.org' });
  assert.equal(empty.statusCode, 422);
  assert.match(empty.body, /Choisissez au moins une place/);
});

test('answers appear in the attendee list and its CSV, and stay readable after the questions change', async () => {
  // The venue's integration listens to order.paid: the answers travel with the paid order.
  await t.db
    .insertInto('webhook_endpoints')
    .values({
      place_id: ev.place.id,
      id: uuidv7(),
      url: 'https://hooks.example.org/rezo',
      events: ['order.paid'],
      secret: 'whsec_test',
    })
    .execute();
  const orders = await t.db
    .selectFrom('orders')
    .select('id')
    .where('place_id', '=', ev.place.id)
    .where('status', '=', 'pending')
    .execute();
  for (const o of orders) await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, o.id, null));
  const sent = await t.db
    .selectFrom('webhook_deliveries')
    .select('body')
    .where('place_id', '=', ev.place.id)
    .where('type', '=', 'order.paid')
    .execute();
  assert.equal(sent.length, orders.length);
  const answered = sent.map((d) => JSON.parse(d.body).data as { answers: { label: string; value: string }[] });
  assert.ok(
    answered.every((d) => d.answers.length > 0),
    'every paid order carries its answers',
  );
  assert.ok(answered.some((d) => d.answers.some((a) => a.label === 'Taille du t-shirt' && a.value === 'M')));
  const base = `/venues/quiz-hall/admin/events/${ev.eventId}/tickets`;
  const page = await admin.get(`${base}/attendees`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<th scope="col">Taille du t-shirt<\/th>/);
  assert.match(page.body, /<td>Sans gluten<\/td><td>S<\/td><td>oui<\/td>/);
  assert.match(page.body, /<td>Sans gluten<\/td><td>L<\/td><td>oui<\/td>/);
  assert.match(page.body, /<td>Végétarien<\/td><td>M<\/td><td>oui<\/td>/);

  // The venue renames one question and removes another: old answers keep their place.
  await saveTicketQuestion(t.db, ev.admin, {
    slug: 'quiz-hall',
    eventId: ev.eventId,
    id: q.rules,
    label: 'Règlement lu',
    kind: 'checkbox',
    position: '3',
  });
  await deleteTicketQuestion(t.db, ev.admin, { slug: 'quiz-hall', eventId: ev.eventId, id: q.size });
  await assert.rejects(
    deleteTicketQuestion(t.db, ev.admin, { slug: 'quiz-hall', eventId: ev.eventId, id: q.size }),
    (e: unknown) => e instanceof DomainError && e.code === 'not-found',
  );
  const csv = parseCsv((await admin.get(`${base}/attendees.csv`)).body);
  assert.deepEqual(csv[0], [
    'ticket',
    'holder',
    'email',
    'order',
    'price',
    'date',
    'status',
    'Allergies ou régime',
    'Règlement lu',
    'Taille du t-shirt',
  ]);
  assert.equal(csv.length, 5);
  const sizes = csv
    .slice(1)
    .map((r) => `${r[2]}:${r[7]}:${r[8]}:${r[9]}`)
    .sort();
  assert.deepEqual(sizes, [
    'api@example.org:Sans gluten:yes:L',
    'api@example.org:Sans gluten:yes:S',
    'page@example.org:Végétarien:yes:M',
    'page@example.org:Végétarien:yes:S',
  ]);
});
