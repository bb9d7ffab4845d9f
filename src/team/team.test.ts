import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, onPostgres, type Client, type TestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { inTransaction } from '../db/database.ts';
import { removeMember } from './removeMember.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode;
let admin: Client;
before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('boss@example.org');
  for (const [slug, name] of [
    ['la-cerise', 'La Cerise'],
    ['le-bisik', 'Le Bisik'],
    ['duel', 'Duel'],
  ]) {
    const r = await admin.api('POST', '/api/v1/venues', { slug, name });
    assert.equal(r.statusCode, 201, r.body);
  }
});
after(() => t.close());

const personId = async (email: string) =>
  (await t.db.selectFrom('people').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
const placeId = async (slug: string) =>
  (await t.db.selectFrom('places').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
async function roleOf(slug: string, email: string): Promise<string | null> {
  const row = await t.db
    .selectFrom('place_members')
    .innerJoin('people', 'people.id', 'place_members.person_id')
    .innerJoin('places', 'places.id', 'place_members.place_id')
    .select('place_members.role')
    .where('places.slug', '=', slug)
    .where('people.email', '=', email)
    .executeTakeFirst();
  return row?.role ?? null;
}
const members = async (slug: string) =>
  t.db
    .selectFrom('place_members')
    .select(['person_id', 'role'])
    .where('place_id', '=', await placeId(slug))
    .orderBy('person_id')
    .execute();
const outboxSize = async () => countRows(t.db, 'mail_outbox');
const faults = (body: string) =>
  ((JSON.parse(body) as { errors?: { field: string; code: string }[] }).errors ?? []).map(
    (e) => `${e.field}:${e.code}`,
  );

describe('inviting people', () => {
  test('a new address gets an account, the role, and an invitation in the venue’s language', async () => {
    const page = await admin.get('/venues/la-cerise/admin/team');
    assert.equal(page.statusCode, 200);
    const r = await admin.postForm('/venues/la-cerise/admin/team', {
      email: ' New.Editor@Example.org ',
      role: 'editor',
    });
    assert.equal(r.statusCode, 200, r.body.slice(0, 300));
    assert.match(r.body, /new\.editor@example\.org a été ajouté·e/);
    assert.equal(await roleOf('la-cerise', 'new.editor@example.org'), 'editor');
    const mail = await t.lastMailTo('new.editor@example.org');
    assert.ok(mail);
    assert.equal(mail.language, 'fr');
    assert.equal(mail.subject, 'Vous rejoignez l’équipe de La Cerise');
    assert.match(mail.text, /le rôle « Édition »/);
    // The link in the mail logs the new member in and leads to the venue.
    const link = /\/login\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    assert.ok(link);
    const c = t.client();
    await c.get(link);
    assert.equal((await c.postForm(link, {})).statusCode, 303);
    assert.equal((await c.api('GET', '/api/v1/me')).json().places[0].slug, 'la-cerise');
  });

  test('a person who chose English gets the invitation in English', async () => {
    const english = await t.loginAs('english@example.org');
    const profile = await english.postForm('/account', { name: 'Jane', language: 'en' });
    assert.equal(profile.statusCode, 303, profile.body.slice(0, 300));
    const r = await admin.api('POST', '/api/v1/venues/la-cerise/team', { email: 'english@example.org', role: 'door' });
    assert.equal(r.statusCode, 201, r.body);
    const { email, name, role } = r.json() as Record<string, unknown>;
    assert.deepEqual({ email, name, role }, { email: 'english@example.org', name: 'Jane', role: 'door' });
    const mail = await t.lastMailTo('english@example.org');
    assert.ok(mail);
    assert.equal(mail.language, 'en');
    assert.equal(mail.subject, 'You are joining the team of La Cerise');
    assert.match(mail.text, /the role “Door” in the team of La Cerise/);
    // The invitation does not change the language the person chose.
    assert.equal((await english.api('GET', '/api/v1/me')).json().language, 'en');
  });

  test('inviting someone already in the team is refused (422 already-member), with no second mail', async () => {
    const before = await members('la-cerise');
    const mails = await outboxSize();
    const api = await admin.api('POST', '/api/v1/venues/la-cerise/team', {
      email: 'NEW.EDITOR@example.org',
      role: 'admin',
    });
    assert.equal(api.statusCode, 422);
    assert.deepEqual(faults(api.body), ['email:already-member']);
    const page = await admin.postForm('/venues/la-cerise/admin/team', { email: 'boss@example.org', role: 'editor' });
    assert.equal(page.statusCode, 422);
    assert.match(page.body, /Cette personne fait déjà partie de l’équipe/);
    assert.match(page.body, /id="email"[^>]*aria-invalid="true"/);
    assert.deepEqual(await members('la-cerise'), before);
    assert.equal(await outboxSize(), mails);
  });

  test('a bad address or an unknown role is refused, creates no account and sends nothing', async () => {
    const people = await t.db.selectFrom('people').select('id').execute();
    const mails = await outboxSize();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ email: 'not-an-address', role: 'editor' }, ['email:email']],
      [{ email: '', role: 'editor' }, ['email:required']],
      [{ email: 'x@example.org', role: 'owner' }, ['role:choice']],
      [{ email: 'x@example.org' }, ['role:required']],
      [{ email: 'x@example.org', role: 'editor', extra: 1 }, ['extra:unknown-field']],
    ];
    for (const [body, expected] of cases) {
      const r = await admin.api('POST', '/api/v1/venues/la-cerise/team', body);
      assert.equal(r.statusCode, 422, JSON.stringify(body));
      assert.deepEqual([...new Set(faults(r.body))], expected, JSON.stringify(body));
    }
    for (const form of [
      { email: 'nope', role: 'editor' },
      { email: 'x@example.org', role: 'owner' },
    ]) {
      const r = await admin.postForm('/venues/la-cerise/admin/team', form);
      assert.equal(r.statusCode, 422, JSON.stringify(form));
    }
    assert.equal((await t.db.selectFrom('people').select('id').execute()).length, people.length);
    assert.equal(await outboxSize(), mails);
  });

  test('the team is listed by page and API, without anyone from other venues', async () => {
    const r = await admin.api('GET', '/api/v1/venues/la-cerise/team');
    assert.equal(r.statusCode, 200);
    assert.deepEqual(
      r
        .json()
        .items.map((m: { email: string; role: string }) => `${m.email}:${m.role}`)
        .sort(),
      ['boss@example.org:admin', 'english@example.org:door', 'new.editor@example.org:editor'],
    );
    const other = await admin.api('GET', '/api/v1/venues/le-bisik/team');
    assert.deepEqual(
      other.json().items.map((m: { email: string }) => m.email),
      ['boss@example.org'],
    );
  });
});

describe('changing roles and removing members', () => {
  test('the role form and the API change a role', async () => {
    const editor = await personId('new.editor@example.org');
    const form = await admin.postForm(`/venues/la-cerise/admin/team/${editor}/role`, { role: 'cashier' });
    assert.equal(form.statusCode, 303);
    assert.equal(await roleOf('la-cerise', 'new.editor@example.org'), 'cashier');
    const api = await admin.api('PATCH', `/api/v1/venues/la-cerise/team/${editor}`, { role: 'editor' });
    assert.equal(api.statusCode, 204, api.body);
    assert.equal(await roleOf('la-cerise', 'new.editor@example.org'), 'editor');
    const bad = await admin.api('PATCH', `/api/v1/venues/la-cerise/team/${editor}`, { role: 'boss' });
    assert.equal(bad.statusCode, 422);
    const audit = await t.db
      .selectFrom('audit_log')
      .select('data')
      .where('action', '=', 'team.role-changed')
      .where('subject_id', '=', editor)
      .execute();
    assert.equal(audit.length, 2);
  });

  test('unknown, malformed or other-venue members are 404', async () => {
    const english = await personId('english@example.org');
    for (const id of ['0190a0b0-0000-7000-8000-000000000000', 'not-a-uuid']) {
      assert.equal(
        (await admin.api('PATCH', `/api/v1/venues/la-cerise/team/${id}`, { role: 'door' })).statusCode,
        404,
        id,
      );
      assert.equal((await admin.api('DELETE', `/api/v1/venues/la-cerise/team/${id}`)).statusCode, 404, id);
    }
    // english@ is in la-cerise's team, not in le-bisik's.
    assert.equal((await admin.api('DELETE', `/api/v1/venues/le-bisik/team/${english}`)).statusCode, 404);
    assert.equal(await roleOf('la-cerise', 'english@example.org'), 'door');
  });

  test('the remove form and the API remove a member', async () => {
    const english = await personId('english@example.org');
    const form = await admin.postForm(`/venues/la-cerise/admin/team/${english}/remove`, {});
    assert.equal(form.statusCode, 303);
    assert.equal(form.headers.location, '/venues/la-cerise/admin/team');
    assert.equal(await roleOf('la-cerise', 'english@example.org'), null);
    await admin.api('POST', '/api/v1/venues/la-cerise/team', { email: 'english@example.org', role: 'door' });
    const api = await admin.api('DELETE', `/api/v1/venues/la-cerise/team/${english}`);
    assert.equal(api.statusCode, 204);
    assert.equal(await roleOf('la-cerise', 'english@example.org'), null);
  });

  test('the last admin can be neither demoted nor removed (409 last-admin)', async () => {
    const boss = await personId('boss@example.org');
    const before = await members('le-bisik');
    const demote = await admin.api('PATCH', `/api/v1/venues/le-bisik/team/${boss}`, { role: 'editor' });
    assert.equal(demote.statusCode, 409);
    assert.equal(demote.json().type, `${t.config.baseUrl}/problems/last-admin`);
    const remove = await admin.api('DELETE', `/api/v1/venues/le-bisik/team/${boss}`);
    assert.equal(remove.statusCode, 409);
    const en = await admin.api('DELETE', `/api/v1/venues/le-bisik/team/${boss}?lang=en`);
    assert.equal(en.json().title, 'Last administrator');
    const form = await admin.postForm(`/venues/le-bisik/admin/team/${boss}/role`, { role: 'door' });
    assert.equal(form.statusCode, 409);
    assert.match(form.body, /au moins un administrateur|at least one administrator/);
    assert.equal((await admin.postForm(`/venues/le-bisik/admin/team/${boss}/remove`, {})).statusCode, 409);
    assert.deepEqual(await members('le-bisik'), before);
    await admin.get('/?lang=fr');
  });

  test('with a second admin, an admin may step down or leave', async () => {
    const second = await t.loginAs('second@example.org');
    await admin.api('POST', '/api/v1/venues/le-bisik/team', { email: 'second@example.org', role: 'admin' });
    const boss = await personId('boss@example.org');
    const me = await personId('second@example.org');
    assert.equal(
      (await second.api('PATCH', `/api/v1/venues/le-bisik/team/${boss}`, { role: 'editor' })).statusCode,
      204,
    );
    // Now an editor, the former admin can no longer manage the team.
    assert.equal((await admin.api('PATCH', `/api/v1/venues/le-bisik/team/${boss}`, { role: 'admin' })).statusCode, 403);
    assert.equal(
      (await second.postForm(`/venues/le-bisik/admin/team/${boss}/role`, { role: 'admin' })).statusCode,
      303,
    );
    // Removing oneself ends one's access to the venue's pages: back to the account page.
    const leave = await second.postForm(`/venues/le-bisik/admin/team/${me}/remove`, {});
    assert.equal(leave.statusCode, 303);
    assert.equal(leave.headers.location, '/account');
    assert.equal(await roleOf('le-bisik', 'second@example.org'), null);
    assert.equal(await roleOf('le-bisik', 'boss@example.org'), 'admin');
  });
});

describe('team changes at the same moment', () => {
  test(
    'two admins demoting each other at once leave one admin',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const rival = await t.loginAs('rival@example.org');
      assert.equal(
        (await admin.api('POST', '/api/v1/venues/duel/team', { email: 'rival@example.org', role: 'admin' })).statusCode,
        201,
      );
      const [boss, other] = [await personId('boss@example.org'), await personId('rival@example.org')];
      const duel = await placeId('duel');
      for (let round = 0; round < 30; round++) {
        await t.db.updateTable('place_members').set({ role: 'admin' }).where('place_id', '=', duel).execute();
        const results = await Promise.all([
          admin.api('PATCH', `/api/v1/venues/duel/team/${other}`, { role: 'editor' }),
          rival.api('PATCH', `/api/v1/venues/duel/team/${boss}`, { role: 'editor' }),
        ]);
        const statuses = results.map((r) => r.statusCode).sort();
        const admins = (await members('duel')).filter((m) => m.role === 'admin');
        assert.equal(admins.length, 1, `round ${round}: ${statuses.join(',')}`);
        assert.equal(statuses[0], 204, `round ${round}`);
        assert.ok([403, 409].includes(statuses[1]!), `round ${round}: ${statuses.join(',')}`);
      }
    },
  );

  test(
    'an admin demoted while their own change waits is refused once it runs',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      // The slow admin's removal must be judged on the team as it is when it gets the lock, not as it
      // was when it started: otherwise a person demoted a moment ago still acts as admin.
      const duel = await placeId('duel');
      await t.db.updateTable('place_members').set({ role: 'admin' }).where('place_id', '=', duel).execute();
      assert.equal(
        (await admin.api('POST', '/api/v1/venues/duel/team', { email: 'third@example.org', role: 'admin' })).statusCode,
        201,
      );
      const [rival, third] = [await personId('rival@example.org'), await personId('third@example.org')];
      let removal: Promise<unknown> | undefined;
      await inTransaction(t.db, async (trx) => {
        await trx.selectFrom('places').select('id').where('id', '=', duel).forUpdate().execute();
        removal = removeMember(t.db, personActor(rival), { slug: 'duel', personId: third }).then(
          () => 'removed',
          (e: unknown) => e,
        );
        await new Promise((r) => setTimeout(r, 300));
        await trx
          .updateTable('place_members')
          .set({ role: 'editor' })
          .where('place_id', '=', duel)
          .where('person_id', '=', rival)
          .execute();
      });
      const outcome = await removal;
      assert.ok(outcome instanceof DomainError && outcome.code === 'forbidden', String(outcome));
      assert.equal(await roleOf('duel', 'third@example.org'), 'admin');
    },
  );
});
