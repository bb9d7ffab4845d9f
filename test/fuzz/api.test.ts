/**
 * The API fuzzer in the suite (test/fuzz/apiFuzzer.ts) on the demo territory, as an API key with every
 * scope of La Fabrik and anonymously. Bounded: REZO_TEST_FUZZ_RUNS cases per operation (20 by default)
 * and REZO_TEST_FUZZ_SECONDS (90 by default); `npm run fuzz` runs longer. The seed is printed; replay a
 * failure with REZO_TEST_FUZZ_SEED=<seed> npm test -- fuzz (REZO_TEST_FUZZ_ONLY='POST /api/v1/events' for one
 * operation, REZO_TEST_FUZZ_TRACE=1 to print every request and its answer).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createTestNodeWithStripe, type TestNode } from '../harness.ts';
import { personActor } from '../../src/access/actor.ts';
import { API_SCOPES } from '../../src/access/permissions.ts';
import { createApiKey } from '../../src/apikeys/createApiKey.ts';
import { DEMO_ADMIN_EMAIL, loadDemo } from '../../src/demo/loadDemo.ts';
import { registerDevice } from '../../src/ledger/registerDevice.ts';
import { createEndpoint } from '../../src/webhooks/createEndpoint.ts';
import { fuzzApi, type Known } from './apiFuzzer.ts';

const VENUE = 'la-fabrik';
const OTHER = 'salle-kabaret';

let t: TestNode;
let key: string;
let known: Known;

before(async () => {
  t = await createTestNodeWithStripe();
  assert.equal(await loadDemo(t.db, t.config), true);
  const db = t.db;
  const admin = await db
    .selectFrom('people')
    .select('id')
    .where('email', '=', DEMO_ADMIN_EMAIL)
    .executeTakeFirstOrThrow();
  const actor = personActor(admin.id, true);
  key = (await createApiKey(db, actor, { slug: VENUE, name: 'fuzzer', scopes: [...API_SCOPES] })).secret;
  const places = await db.selectFrom('places').select(['id', 'slug']).where('slug', 'in', [VENUE, OTHER]).execute();
  const venueId = places.find((p) => p.slug === VENUE)!.id;
  const publicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  await registerDevice(db, actor, { placeId: venueId, name: 'Caisse fuzz', kind: 'till', publicKey });
  await createEndpoint(
    db,
    actor,
    { slug: VENUE, url: 'http://127.0.0.1:9/hook', events: ['order.paid'] },
    { allowPrivate: true },
  );
  const ids = async (table: 'events' | 'pos_points' | 'pos_categories' | 'pos_articles' | 'orders' | 'till_closures') =>
    (await db.selectFrom(table).select('id').where('place_id', '=', venueId).limit(5).execute()).map((r) => r.id);
  const events = await ids('events');
  known = {
    slug: [VENUE, OTHER],
    venue: [VENUE, OTHER],
    placeId: places.map((p) => p.id),
    id: [...events, ...(await ids('orders')), ...(await ids('till_closures'))],
    eventId: events,
    pointId: await ids('pos_points'),
    categoryId: await ids('pos_categories'),
    articleId: await ids('pos_articles'),
    deviceId: (await db.selectFrom('ledger_devices').select('id').where('place_id', '=', venueId).execute()).map(
      (r) => r.id,
    ),
    endpointId: (await db.selectFrom('webhook_endpoints').select('id').execute()).map((r) => r.id),
    personId: (await db.selectFrom('place_members').select('person_id').where('place_id', '=', venueId).execute()).map(
      (r) => r.person_id,
    ),
    keyId: (await db.selectFrom('api_keys').select('id').execute()).map((r) => r.id),
    currency: ['REZO', 'FABRIK', 'LAGON'],
    currencyCode: ['REZO', 'FABRIK', 'LAGON'],
    creditCurrency: ['FABRIK', 'REZO'],
    currencyId: (await db.selectFrom('ledger_currencies').select('id').execute()).map((r) => r.id),
    membershipProductId: (
      await db.selectFrom('membership_products').select('id').where('place_id', '=', venueId).execute()
    ).map((r) => r.id),
    priceId: (await db.selectFrom('ticket_prices').select('id').where('place_id', '=', venueId).limit(5).execute()).map(
      (r) => r.id,
    ),
    ...(await dateIds()),
    articleIds: await ids('pos_articles'),
    cardUid: (await db.selectFrom('cards').select('uid').orderBy('number').limit(5).execute()).map((r) => r.uid),
    name: ['Bar du fond', 'Concert maloya'],
    title: ['Concert maloya', 'Atelier graines'],
    timezone: ['Indian/Reunion', 'Europe/Paris'],
    country: ['RE', 'FR'],
    modules: ['agenda', 'ticketing'],
    scopes: [...API_SCOPES],
    colour: ['#1565c0'],
    dayStartsAt: ['05:00', '00:00'],
    paymentMethods: ['card', 'cash', 'bank_card'],
    kind: ['sale', 'deposit', 'top_up', 'till', 'scanner'],
    email: ['fuzz@example.org'],
    contact_email: ['contact@example.org'],
    website: ['https://example.org/'],
    externalUrl: ['https://example.org/'],
    url: ['https://example.org/hook'],
    tags: ['concert', 'maloya'],
    events: ['order.paid', 'order.cancelled'],
    businessDay: [new Date().toISOString().slice(0, 10)],
  };
  async function dateIds() {
    const dates = (
      await db.selectFrom('event_dates').select('id').where('place_id', '=', venueId).limit(5).execute()
    ).map((r) => r.id);
    return { dateId: dates, eventDateId: dates };
  }
});
after(() => t.close());

test('the API fuzzer: no 5xx, every answer as documented, nothing written by a refused request', async () => {
  const seed = Number(process.env.REZO_TEST_FUZZ_SEED) || Math.floor(Math.random() * 2 ** 31);
  const runs = Number(process.env.REZO_TEST_FUZZ_RUNS) || 20;
  const seconds = Number(process.env.REZO_TEST_FUZZ_SECONDS) || 90;
  const doc = (await t.app.inject('/api/openapi.json')).json();
  const started = Date.now();
  const report = await fuzzApi(doc, {
    app: t.app,
    db: t.db,
    baseUrl: t.config.baseUrl,
    key,
    known,
    seed,
    runs,
    deadline: started + seconds * 1000,
    only: process.env.REZO_TEST_FUZZ_ONLY,
    trace: process.env.REZO_TEST_FUZZ_TRACE ? (line) => process.stdout.write(`${line}\n`) : undefined,
  });
  const summary =
    `API fuzzer, seed ${seed} (replay: REZO_TEST_FUZZ_SEED=${seed} REZO_TEST_FUZZ_RUNS=${runs} npm test -- fuzz): ` +
    `${report.operations} operations, ${report.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
    `${report.serverErrors} 5xx, ${report.mismatches} schema mismatches, ${report.writesOnRefusal} writes on refusal` +
    `${report.timedOut ? ' (stopped at the time limit)' : ''}; statuses ${JSON.stringify(report.statuses)}`;
  process.stdout.write(`${summary}\n`);
  if (report.neverSucceeded.length > 0)
    process.stdout.write(`operations no case passed: ${report.neverSucceeded.join(', ')}\n`);
  if (report.failures.length > 0) process.stdout.write(`${report.failures.join('\n')}\n`);
  if (!process.env.REZO_TEST_FUZZ_ONLY) assert.ok(report.operations > 50, summary);
  assert.equal(report.serverErrors, 0, summary);
  assert.equal(report.mismatches, 0, summary);
  assert.equal(report.writesOnRefusal, 0, summary);
});
