import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { personActor } from '../access/actor.ts';
import { venue } from '../agenda/testFixtures.ts';
import { testConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { createRezoFederation, type FederationData } from './fedify.ts';
import { followRemote } from './followRemote.ts';
import { unfollowRemote } from './unfollowRemote.ts';

/**
 * Following by handle or URL, the checks before anything is fetched or written (the round trip
 * between two nodes is in adminPages.test.ts): who may, what an address may be, private peers only
 * outside production, the tag rules of local follows.
 */
let db: Db;
let data: FederationData;
let prod: FederationData;
let place: Awaited<ReturnType<typeof venue>>;
const someone = personActor('00000000-0000-7000-8000-000000000009', false);

useTestDatabase(async (opened) => {
  db = opened.db;
  const logger = pino({ level: 'silent' });
  data = { db, config: testConfig({ baseUrl: 'http://127.0.0.1:1' }), logger, kick() {} };
  // As in production: no private peers, https only.
  prod = { ...data, config: { ...data.config, baseUrl: 'https://here.test', federationAllowPrivate: false } };
  place = await venue(db, 'kabaret');
});

const fieldOf = (field: string, message: string) => (e: { fields?: { field: string; message: string }[] }) => {
  assert.deepEqual(
    e.fields?.map((f) => [f.field, f.message]),
    [[field, message]],
  );
  return true;
};
const follow = (d: FederationData, who: Parameters<typeof followRemote>[2], input: Record<string, unknown>) =>
  followRemote(createRezoFederation(d.db, d.config), d, who, {
    localActor: place.id,
    address: '',
    confirm: true,
    ...input,
  });
const nothingWritten = async () => {
  assert.equal((await db.selectFrom('federation_follows').selectAll().execute()).length, 0);
  assert.equal((await db.selectFrom('federation_outbox').selectAll().execute()).length, 0);
};

describe('followRemote', () => {
  test("a venue's follows by its admins only; the territory's by operators only", async () => {
    await assert.rejects(follow(data, someone, { address: 'x@example.org' }), { code: 'forbidden' });
    await assert.rejects(follow(data, place.admin, { localActor: 'relay', address: 'x@example.org' }), {
      code: 'forbidden',
    });
    await assert.rejects(unfollowRemote(data, someone, { localActor: place.id, remoteActor: 'https://x.test/a' }), {
      code: 'forbidden',
    });
    await nothingWritten();
  });

  test('an address that is no handle nor URL, or bad tags: field errors, nothing fetched or written', async () => {
    for (const address of ['', 'hello world', 'ftp://x.test/a', '@@x', 'https://u:p@x.test/a'])
      await assert.rejects(follow(data, place.admin, { address }), fieldOf('address', 'federation.address'), address);
    await assert.rejects(
      follow(data, place.admin, { address: 'a@x.test', includeTags: 'jazz', excludeTags: 'jazz' }),
      fieldOf('excludeTags', 'agenda.tag-both'),
    );
    await nothingWritten();
  });

  // In production: http URLs refused, a handle on a private address never fetched. Here: nothing answers.
  const refused: ['production' | 'a host that does not answer', string, string][] = [
    ['production', 'http://x.test/ap/actors/a', 'federation.address'],
    ['production', '@venue@127.0.0.1:9', 'federation.unreachable'],
    ['a host that does not answer', 'venue@127.0.0.1:9', 'federation.unreachable'],
    ['a host that does not answer', 'http://127.0.0.1:9/ap/actors/x', 'federation.unreachable'],
  ];
  for (const [when, address, message] of refused)
    test(`${when}: ${address} is refused (${message}), nothing written`, async () => {
      await assert.rejects(
        follow(when === 'production' ? prod : data, place.admin, { address }),
        fieldOf('address', message),
      );
      await nothingWritten();
    });

  test('unfollowing what is not followed does nothing', async () => {
    await unfollowRemote(data, place.admin, { localActor: place.id, remoteActor: 'https://x.test/a' });
    await nothingWritten();
  });
});
