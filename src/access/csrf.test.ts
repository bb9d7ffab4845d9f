import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';

/** Every form of the venue administration refuses a post without a valid `_csrf` and writes nothing. */

let t: TestNode;
let admin: Client;
let other: Client;
const ids: Record<string, string> = {};
before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('csrf-admin@example.org');
  other = await t.loginAs('csrf-other@example.org');
  assert.equal((await admin.api('POST', '/api/v1/venues', { slug: 'forms', name: 'Forms' })).statusCode, 201);
  assert.equal(
    (await admin.api('POST', '/api/v1/venues/forms/team', { email: 'member@example.org', role: 'editor' })).statusCode,
    201,
  );
  const key = await admin.api('POST', '/api/v1/venues/forms/api-keys', { name: 'k', scopes: ['place:read'] });
  ids.key = key.json().key.id;
  ids.member = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'member@example.org').executeTakeFirstOrThrow()
  ).id;
});
after(() => t.close());

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108020000009077', 'hex');

/** A multipart upload with no `_csrf` part at all (the harness always adds one). */
function uploadWithoutToken(c: Client) {
  const boundary = '----rezo-no-token';
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="logo"; filename="logo.png"\r\ncontent-type: image/png\r\n\r\n`,
    ),
    PNG,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return c.request({
    method: 'POST',
    url: '/venues/forms/admin/images/logo',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
}

/** All the rows the forms below could write. */
async function everything() {
  const all = <T extends 'places' | 'place_members' | 'api_keys' | 'media' | 'people' | 'audit_log' | 'mail_outbox'>(
    table: T,
  ) => t.db.selectFrom(table).selectAll().execute();
  return {
    places: await all('places'),
    members: await all('place_members'),
    keys: await all('api_keys'),
    media: await all('media'),
    people: await all('people'),
    audit: await all('audit_log'),
    mail: await all('mail_outbox'),
  };
}

const FORMS: [string, Record<string, string | string[]>][] = [
  ['/venues/new', { name: 'Sneaky', slug: 'sneaky' }],
  ['/venues/forms/admin', { name: 'Renamed' }],
  ['/venues/forms/admin/team', { email: 'intruder@example.org', role: 'admin' }],
  ['/venues/forms/admin/team/{member}/role', { role: 'admin' }],
  ['/venues/forms/admin/team/{member}/remove', {}],
  ['/venues/forms/admin/keys', { name: 'sneaky', scopes: ['place:write'] }],
  ['/venues/forms/admin/keys/{key}/revoke', {}],
];
const url = (template: string) => template.replace('{member}', ids.member!).replace('{key}', ids.key!);

describe('CSRF protection of the forms', () => {
  test('every form posted without _csrf, with a forged one, or with another browser’s one is refused and writes nothing', async () => {
    await admin.get('/venues/forms/admin');
    await other.get('/');
    // The mail delivery works in the background (a round claims what the setup queued): let it finish.
    await t.node.mail.flush();
    const before = await everything();
    for (const [template, form] of FORMS) {
      for (const [label, csrf] of [
        ['missing', false],
        ['forged', 'forged-token'],
        ['another browser’s', other.csrf!],
      ] as const) {
        const r = await admin.postForm(url(template), form, { csrf });
        assert.equal(r.statusCode, 403, `${template} (${label}): ${r.statusCode}`);
        assert.match(r.body, /Formulaire expiré/, template);
      }
    }
    const upload = await uploadWithoutToken(admin);
    assert.equal(upload.statusCode, 403);
    assert.deepEqual(await everything(), before);
  });

  test('the same forms with their token go through (so the refusals above are the token’s doing)', async () => {
    await admin.get('/venues/forms/admin');
    const r = await admin.postForm('/venues/forms/admin', { name: 'Renamed' });
    assert.equal(r.statusCode, 200);
    const upload = await admin.postMultipart(
      '/venues/forms/admin/images/logo',
      {},
      { logo: { filename: 'logo.png', type: 'image/png', bytes: PNG } },
    );
    assert.equal(upload.statusCode, 303);
    const revoke = await admin.postForm(url('/venues/forms/admin/keys/{key}/revoke'), {});
    assert.equal(revoke.statusCode, 303);
  });
});
