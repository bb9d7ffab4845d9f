import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, onPostgres, type Client, type TestNode } from '../../test/harness.ts';
import { DomainError } from '../shared/errors.ts';
import { personActor } from '../access/actor.ts';
import { createPlace } from './createPlace.ts';
import { readPlaceFields } from './placeInput.ts';
import { updatePlace } from './updatePlace.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode;
let admin: Client;
before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('admin@example.org');
  const made = await admin.api('POST', '/api/v1/venues', { slug: 'kabardock', name: 'Le Kabardock', city: 'Le Port' });
  assert.equal(made.statusCode, 201, made.body);
});
after(() => t.close());

/** The whole row of a place, to prove that a refused change wrote nothing. */
const placeRow = (slug: string) => t.db.selectFrom('places').selectAll().where('slug', '=', slug).executeTakeFirst();
const countPlaces = async () => countRows(t.db, 'places');
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

/** The fields a 422 problem names, with their codes: "name:required". */
function faults(body: string): string[] {
  const problem = JSON.parse(body) as { errors?: { field: string; code: string }[] };
  return [...new Set((problem.errors ?? []).map((e) => `${e.field}:${e.code}`))].sort();
}

/** Catches a use-case error and gives its field faults, like `faults` does for HTTP answers. */
async function useCaseFaults(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, 'validation');
    return error.fields.map((f) => `${f.field}:${f.message}`).sort();
  }
  assert.fail('expected a validation error');
}

describe('creating a venue', () => {
  test('anonymous people are sent to the login page, or get a 401 problem from the API; nothing is created', async () => {
    const before = await countPlaces();
    const anon = t.client();
    const page = await anon.get('/venues/new');
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/login?next=%2Fvenues%2Fnew');
    const form = await anon.postForm('/venues/new', { name: 'Anon', slug: 'anon' });
    assert.equal(form.statusCode, 303);
    assert.match(String(form.headers.location), /^\/login\?next=/);
    const api = await anon.api('POST', '/api/v1/venues', { slug: 'anon-api', name: 'Anon' });
    assert.equal(api.statusCode, 401);
    assert.equal(api.headers['content-type'], PROBLEM_JSON);
    assert.equal(api.json().type, `${t.config.baseUrl}/problems/unauthenticated`);
    assert.equal(await countPlaces(), before);
  });

  test('the page creates the venue, proposes the slug from the name, and makes its creator admin', async () => {
    const c = await t.loginAs('creator@example.org');
    const form = await c.get('/venues/new');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="slug"/);
    const r = await c.postForm('/venues/new', {
      name: 'Téat Champ Fleuri',
      slug: '',
      city: 'Saint-Denis',
      modules: ['agenda', 'ticketing'],
    });
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(r.headers.location, '/venues/teat-champ-fleuri/admin?created=1');
    const row = await placeRow('teat-champ-fleuri');
    assert.ok(row);
    assert.equal(row.name, 'Téat Champ Fleuri');
    assert.deepEqual(row.modules, ['agenda', 'ticketing']);
    const me = (await c.api('GET', '/api/v1/me')).json() as { places: { slug: string; role: string }[] };
    assert.deepEqual(me.places, [{ slug: 'teat-champ-fleuri', name: 'Téat Champ Fleuri', role: 'admin' }]);
    const settings = await c.get('/venues/teat-champ-fleuri/admin?created=1');
    assert.equal(settings.statusCode, 200);
    assert.match(settings.body, /Le lieu est créé/);
    const audit = await t.db.selectFrom('audit_log').select('action').where('place_id', '=', row.id).execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['place.created'],
    );
  });

  test('the API creates the venue (201, Location) and makes its creator admin', async () => {
    const c = await t.loginAs('api-creator@example.org');
    const r = await c.api('POST', '/api/v1/venues', {
      slug: 'la-ravine',
      name: 'La Ravine',
      latitude: -21.1,
      longitude: 55.5,
      modules: [],
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.headers.location, '/api/v1/venues/la-ravine');
    const venue = r.json();
    assert.equal(venue.name, 'La Ravine');
    assert.deepEqual(venue.geo, { latitude: -21.1, longitude: 55.5 });
    assert.equal(venue.timezone, 'Indian/Reunion');
    const settings = await c.get('/venues/la-ravine/admin');
    assert.equal(settings.statusCode, 200);
  });

  test('slug rules: taken, reserved and malformed slugs are refused with the field at fault', async () => {
    const c = await t.loginAs('slugs@example.org');
    const before = await countPlaces();
    const cases: [string, string][] = [
      ['kabardock', 'slug:slug-taken'],
      ['KABARDOCK', 'slug:slug-taken'],
      ['admin', 'slug:slug-reserved'],
      ['new', 'slug:slug-reserved'],
      ['Le Lieu', 'slug:slug'],
      ['-lieu', 'slug:slug'],
      ['lieu--double', 'slug:slug'],
      ['x', 'slug:slug'],
      ['été', 'slug:slug'],
    ];
    for (const [slug, fault] of cases) {
      const api = await c.api('POST', '/api/v1/venues', { slug, name: 'Un lieu' });
      assert.equal(api.statusCode, 422, slug);
      assert.deepEqual(faults(api.body), [fault], slug);
      const page = await c.postForm('/venues/new', { slug, name: 'Un lieu' });
      assert.equal(page.statusCode, 422, slug);
      assert.match(page.body, /id="slug"[^>]*aria-invalid="true"/, slug);
    }
    const tooLong = await c.api('POST', '/api/v1/venues', { slug: 'x'.repeat(61), name: 'Un lieu' });
    assert.deepEqual(faults(tooLong.body), ['slug:too-long']);
    assert.deepEqual(
      await useCaseFaults(() =>
        createPlace(t.db, personActor('00000000-0000-7000-8000-000000000000'), {
          slug: 'x'.repeat(61),
          name: 'Un lieu',
        }),
      ),
      ['slug:slug'],
    );
    const taken = await c.postForm('/venues/new', { slug: 'kabardock', name: 'Un lieu' });
    assert.match(taken.body, /déjà pris/);
    assert.equal(await countPlaces(), before);
  });

  test('a creation with several mistakes lists each of them, in the page language, and creates nothing', async () => {
    const c = await t.loginAs('mistakes@example.org');
    const before = await countPlaces();
    await c.get('/venues/new?lang=en');
    const r = await c.postForm('/venues/new', {
      slug: 'plenty-wrong',
      name: '',
      timezone: 'Mars/Olympus',
      latitude: '12',
      website: 'nope',
    });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /This field is required/);
    assert.match(r.body, /Unknown time zone/);
    assert.match(r.body, /Give latitude and longitude together/);
    assert.match(r.body, /A web address starting with http/);
    for (const field of ['name', 'timezone', 'longitude', 'website'])
      assert.match(r.body, new RegExp(`id="${field}"[^>]*aria-invalid="true"`), field);
    const api = await c.api('POST', '/api/v1/venues', { slug: 'plenty-wrong' });
    assert.equal(api.statusCode, 422);
    assert.deepEqual(faults(api.body), ['name:required']);
    assert.equal(await countPlaces(), before);
  });
});

describe('venue settings', () => {
  test('the admin sees the settings form filled in and saves it', async () => {
    const page = await admin.get('/venues/kabardock/admin');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /value="Le Kabardock"/);
    const r = await admin.postForm('/venues/kabardock/admin', {
      name: 'Le Kabardock',
      description: 'Salle de concerts',
      street: '14 rue Pasteur',
      postal_code: '97420',
      city: 'Le Port',
      country: 're',
      latitude: '-20,9372',
      longitude: '55.2954',
      timezone: 'Indian/Reunion',
      language: 'fr',
      contact_email: 'Contact@Kabardock.re',
      contact_phone: '+262 262 00 00 00',
      website: 'https://kabardock.re',
      modules: ['agenda', 'cashless'],
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.match(r.body, /role="status"/);
    const row = (await placeRow('kabardock'))!;
    assert.equal(row.country, 'RE');
    assert.equal(row.latitude, -20.9372);
    assert.equal(row.contact_email, 'contact@kabardock.re');
    assert.deepEqual(row.modules, ['agenda', 'cashless']);
  });

  test('PATCH changes only the fields it names', async () => {
    const before = (await placeRow('kabardock'))!;
    const r = await admin.api('PATCH', '/api/v1/venues/kabardock', { description: 'Scène de musiques actuelles' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().description, 'Scène de musiques actuelles');
    const row = (await placeRow('kabardock'))!;
    assert.deepEqual({ ...row, description: before.description, updated_at: before.updated_at }, before);
    const cleared = await admin.api('PATCH', '/api/v1/venues/kabardock', { latitude: null, longitude: null });
    assert.equal(cleared.statusCode, 200, cleared.body);
    assert.equal(cleared.json().geo, null);
    const restored = await admin.api('PATCH', '/api/v1/venues/kabardock', { latitude: -20.9372, longitude: 55.2954 });
    assert.equal(restored.statusCode, 200, restored.body);
  });

  test('every bad field is refused with a 422 naming it, and the venue is unchanged', async () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      ['name of the wrong type', { name: 42 }, ['name:type']],
      ['empty name', { name: '' }, ['name:required']],
      ['blank name', { name: '   ' }, ['name:required']],
      ['name too long', { name: 'n'.repeat(121) }, ['name:too-long']],
      ['description too long', { description: 'd'.repeat(5001) }, ['description:too-long']],
      ['city too long', { city: 'c'.repeat(101) }, ['city:too-long']],
      ['unknown time zone', { timezone: 'Mars/Olympus' }, ['timezone:timezone']],
      ['latitude beyond 90', { latitude: 90.5 }, ['latitude:coordinate']],
      ['longitude beyond 180', { longitude: -181 }, ['longitude:coordinate']],
      // The schema's number-or-null union reports both branches.
      ['latitude as a string', { latitude: '12' }, ['latitude:type']],
      ['one coordinate removed', { latitude: null }, ['latitude:coordinates-pair']],
      ['website not http', { website: 'javascript:alert(1)' }, ['website:url']],
      ['website not a URL', { website: 'kabardock dot re' }, ['website:url']],
      ['bad e-mail', { contact_email: 'contact@' }, ['contact_email:email']],
      ['bad phone', { contact_phone: 'call me maybe' }, ['contact_phone:phone']],
      ['unknown module', { modules: ['agenda', 'casino'] }, ['modules:choice']],
      ['module of the wrong type', { modules: 'agenda' }, ['modules:type']],
      ['bad country', { country: 'F1' }, ['country:country']],
      ['country too long', { country: 'FRA' }, ['country:too-long']],
      ['unknown language', { language: 'de' }, ['language:choice']],
      ['unknown field', { isAdmin: true }, ['isAdmin:unknown-field']],
      ['the slug cannot change', { slug: 'other' }, ['slug:unknown-field']],
      [
        'several at once',
        { name: '', website: 'ftp://x', timezone: 'Nowhere' },
        ['name:required', 'timezone:timezone', 'website:url'],
      ],
    ];
    const before = await placeRow('kabardock');
    for (const [label, body, expected] of cases) {
      const r = await admin.api('PATCH', '/api/v1/venues/kabardock', body);
      assert.equal(r.statusCode, 422, `${label}: ${r.body}`);
      assert.equal(r.headers['content-type'], PROBLEM_JSON, label);
      assert.deepEqual(faults(r.body), expected, label);
    }
    assert.deepEqual(await placeRow('kabardock'), before);
  });

  test('the use case applies the same rules without the HTTP schema', async () => {
    const actor = personActor('00000000-0000-7000-8000-000000000000', true);
    const before = await placeRow('kabardock');
    assert.deepEqual(
      await useCaseFaults(() =>
        updatePlace(t.db, actor, 'kabardock', { name: 'n'.repeat(121), description: 'd'.repeat(5001) }),
      ),
      ['description:too-long', 'name:too-long'],
    );
    assert.deepEqual(
      await useCaseFaults(() => updatePlace(t.db, actor, 'kabardock', { modules: [42], latitude: 'north' })),
      ['latitude:coordinate', 'modules:choice'],
    );
    assert.deepEqual(await placeRow('kabardock'), before);
  });

  test('coordinates must be plain decimal numbers; a blank one counts as missing, not as zero', () => {
    const base = { name: 'Lieu' };
    assert.deepEqual(
      [readPlaceFields({ ...base, latitude: '-21,1', longitude: ' 55.5 ' }, 'Indian/Reunion')].map((f) => [
        f.latitude,
        f.longitude,
      ]),
      [[-21.1, 55.5]],
    );
    const blank = readPlaceFields({ ...base, latitude: '  ', longitude: '' }, 'Indian/Reunion');
    assert.deepEqual([blank.latitude, blank.longitude], [null, null]);
    for (const odd of ['0x10', '1e1', 'Infinity', '12abc', '--1']) {
      assert.throws(
        () => readPlaceFields({ ...base, latitude: odd, longitude: '1' }, 'Indian/Reunion'),
        (e: unknown) =>
          e instanceof DomainError && e.fields.some((f) => f.field === 'latitude' && f.message === 'coordinate'),
        odd,
      );
    }
  });

  test('problems are written in the person’s language: French by default, English when chosen', async () => {
    const fr = await admin.api('PATCH', '/api/v1/venues/kabardock', { timezone: 'Mars/Olympus' });
    assert.equal(fr.json().title, 'Données incorrectes');
    assert.match(fr.json().errors[0].message, /Fuseau horaire inconnu/);
    const en = await admin.api('PATCH', '/api/v1/venues/kabardock?lang=en', { timezone: 'Mars/Olympus' });
    assert.equal(en.json().title, 'Invalid data');
    assert.match(en.json().errors[0].message, /Unknown time zone/);
    await admin.get('/?lang=fr');
  });

  test('a person who chose English in their profile reads problems in English, without asking each time', async () => {
    const c = await t.loginAs('english-admin@example.org');
    assert.equal((await c.postForm('/account', { name: 'Ann', language: 'en' })).statusCode, 303);
    assert.equal(
      (await c.api('POST', '/api/v1/venues', { slug: 'english-venue', name: 'English venue' })).statusCode,
      201,
    );
    const r = await c.api('PATCH', '/api/v1/venues/english-venue', { website: 'nope', extra: 1 });
    assert.equal(r.statusCode, 422);
    assert.equal(r.json().title, 'Invalid data');
    assert.deepEqual(
      r.json().errors.map((e: { field: string; message: string }) => `${e.field}: ${e.message}`),
      ['extra: Unknown field.'],
    );
    const form = await c.postForm('/venues/english-venue/admin', { name: 'English venue', website: 'nope' });
    assert.equal(form.statusCode, 422);
    assert.match(form.body, /A web address starting with http/);
  });

  test('the settings form shows each error beside its field, keeps what was typed, and writes nothing', async () => {
    const before = await placeRow('kabardock');
    const r = await admin.postForm('/venues/kabardock/admin', {
      name: '',
      timezone: 'Europe/Nowhere',
      latitude: '95',
      longitude: '55',
      contact_email: 'x@',
      contact_phone: 'abc',
      website: 'www.kabardock.re',
      modules: ['agenda', 'bogus'],
      city: 'c'.repeat(101),
    });
    assert.equal(r.statusCode, 422);
    for (const field of ['name', 'timezone', 'latitude', 'contact_email', 'contact_phone', 'website', 'city']) {
      assert.match(r.body, new RegExp(`id="${field}"[^>]*aria-invalid="true"`), field);
    }
    assert.match(r.body, /value="www\.kabardock\.re"/);
    assert.match(r.body, /Ce champ est obligatoire/);
    assert.deepEqual(await placeRow('kabardock'), before);
  });

  test('an unknown venue is a 404, on pages and in the API', async () => {
    assert.equal((await t.client().get('/venues/nowhere')).statusCode, 404);
    assert.equal((await admin.get('/venues/nowhere/admin')).statusCode, 404);
    assert.equal((await admin.postForm('/venues/nowhere/admin', { name: 'X' })).statusCode, 404);
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'X' }],
    ] as const) {
      const r = await admin.api(method, '/api/v1/venues/nowhere', body);
      assert.equal(r.statusCode, 404, method);
      assert.equal(r.headers['content-type'], PROBLEM_JSON);
      assert.equal(r.json().type, `${t.config.baseUrl}/problems/not-found`);
    }
  });

  test('the public page and the API show the venue, escaping what its admins typed', async () => {
    const r = await admin.api('PATCH', '/api/v1/venues/kabardock', { description: '<script>alert(1)</script>' });
    assert.equal(r.statusCode, 200);
    const page = await t.client().get('/venues/kabardock');
    assert.equal(page.statusCode, 200);
    assert.ok(!page.body.includes('<script>alert(1)</script>'));
    assert.match(page.body, /&lt;script&gt;/);
    const list = await t.client().get('/api/v1/venues?q=kabar');
    assert.deepEqual(
      list.json().items.map((p: { slug: string }) => p.slug),
      ['kabardock'],
    );
  });
});

describe('settings changed at the same moment', () => {
  test(
    'partial changes of different fields at once all stay',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      for (let round = 0; round < 15; round++) {
        const changes = [
          { city: `Ville ${round}` },
          { description: `Description ${round}` },
          { street: `${round} rue du Port` },
        ];
        const results = await Promise.all(changes.map((body) => admin.api('PATCH', '/api/v1/venues/kabardock', body)));
        assert.deepEqual(
          results.map((r) => r.statusCode),
          [200, 200, 200],
        );
        const row = (await placeRow('kabardock'))!;
        assert.deepEqual(
          [row.city, row.description, row.street],
          [`Ville ${round}`, `Description ${round}`, `${round} rue du Port`],
          `round ${round}`,
        );
      }
    },
  );
});

describe('the node’s zone (REZO_TIME_ZONE)', () => {
  test('a venue given no zone gets the node’s, a blank zone becomes it again, a venue’s own zone stays', async () => {
    const node = await createTestNode({ timeZone: 'America/Martinique' });
    try {
      const c = await node.loginAs('martinique@example.org');
      const form = await c.get('/venues/new');
      assert.match(
        form.body,
        /name="timezone"[^>]*value="America\/Martinique"|value="America\/Martinique"[^>]*name="timezone"/,
      );
      const made = await c.api('POST', '/api/v1/venues', { slug: 'tropiques', name: 'Tropiques' });
      assert.equal(made.statusCode, 201, made.body);
      assert.equal(made.json().timezone, 'America/Martinique');
      const own = await c.api('POST', '/api/v1/venues', {
        slug: 'ailleurs',
        name: 'Ailleurs',
        timezone: 'Europe/Paris',
      });
      assert.equal(own.json().timezone, 'Europe/Paris');
      const cleared = await c.api('PATCH', '/api/v1/venues/ailleurs', { timezone: '' });
      assert.equal(cleared.statusCode, 200, cleared.body);
      assert.equal(cleared.json().timezone, 'America/Martinique');
      const other = await c.api('PATCH', '/api/v1/venues/tropiques', { city: 'Fort-de-France' });
      assert.equal(other.json().timezone, 'America/Martinique');
    } finally {
      await node.close();
    }
  });
});
