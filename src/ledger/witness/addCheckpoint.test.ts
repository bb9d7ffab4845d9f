import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../db/database.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../../test/testDatabase.ts';
import { createTestLog, createTestWitness } from '../tlog/testLog.ts';
import { addCheckpoint } from './addCheckpoint.ts';
import { listEvidence } from './evidence.ts';
import { pinPeer } from './pinPeer.ts';

// The node as a witness (docs/FEDERATION.md, "Witnesses"): only pinned logs, the C2SP statuses, the
// cosigned size stored atomically — two requests at once for one log: one wins, the other gets 409.

describe('add-checkpoint at the witness', () => {
  let tdb: TestDatabase;
  let db: Db;
  const witness = createTestWitness('w.example/rezo/witness');
  const peer = createTestWitness('peer.example/rezo/witness');
  before(async () => {
    tdb = await createTestDatabase();
    db = tdb.database.db;
  });
  after(() => tdb?.close());

  const pin = (log: ReturnType<typeof createTestLog>) =>
    pinPeer(
      db,
      { url: 'https://peer.example', witnessKey: peer.verifierKey, logKeys: [log.verifierKey] },
      { allowPrivate: false },
    );
  const stored = (origin: string) =>
    db.selectFrom('ledger_witness_logs').selectAll().where('origin', '=', origin).executeTakeFirstOrThrow();

  test('an unpinned log is unknown (404); a pinned one is cosigned and its size stored', async () => {
    const log = createTestLog('peer.example/rezo/ledger/EUR');
    log.append(5);
    assert.equal((await addCheckpoint(db, log.request(0), witness.cosigner, new Date())).status, 404);
    await pin(log);
    const ok = await addCheckpoint(db, log.request(0), witness.cosigner, new Date());
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^— w\.example\/rezo\/witness /);
    assert.equal(Number((await stored(log.origin)).size), 5);
    log.append(3);
    assert.equal((await addCheckpoint(db, log.request(5), witness.cosigner, new Date())).status, 200);
    const stale = await addCheckpoint(db, log.request(5), witness.cosigner, new Date());
    assert.deepEqual([stale.status, stale.contentType, stale.body], [409, 'text/x.tlog.size', '8\n']);
    assert.equal((await addCheckpoint(db, 'old 0\n', witness.cosigner, new Date())).status, 400);
  });

  test('two add-checkpoint at once for one log: one wins, the other gets 409 with the winner’s size', async () => {
    const log = createTestLog('peer.example/rezo/ledger/RACE');
    await pin(log);
    log.append(4);
    const first = log.request(0);
    log.append(2);
    const second = log.request(0);
    const answers = await Promise.all([
      addCheckpoint(db, first, witness.cosigner, new Date()),
      addCheckpoint(db, second, witness.cosigner, new Date()),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409], onPostgres ? 'on PostgreSQL' : 'on PGlite');
    const winner = answers.findIndex((a) => a.status === 200);
    const size = Number((await stored(log.origin)).size);
    assert.equal(size, winner === 0 ? 4 : 6);
    assert.equal(answers[1 - winner]!.body, `${size}\n`);
  });

  test('a fork is kept as evidence and the log is no longer cosigned (403)', async () => {
    const log = createTestLog('peer.example/rezo/ledger/FORK');
    await pin(log);
    log.append(3);
    assert.equal((await addCheckpoint(db, log.request(0), witness.cosigner, new Date())).status, 200);
    const other = [...log.leaves];
    other[2] = other[0]!;
    const forked = `old 3\n\n${log.checkpoint(3, other)}`;
    const fork = await addCheckpoint(db, forked, witness.cosigner, new Date());
    assert.equal(fork.status, 409);
    assert.equal(fork.fork?.kind, 'fork');
    const held = (await listEvidence(db)).filter((e) => e.origin === log.origin);
    assert.deepEqual(
      held.map((e) => e.kind),
      ['fork'],
    );
    assert.equal((await stored(log.origin)).status, 'equivocated');
    log.append(1);
    assert.equal((await addCheckpoint(db, log.request(3), witness.cosigner, new Date())).status, 403);
  });

  test('a failed consistency proof answers 422 and hands the log over for investigation', async () => {
    const log = createTestLog('peer.example/rezo/ledger/BAD');
    await pin(log);
    log.append(4);
    assert.equal((await addCheckpoint(db, log.request(0), witness.cosigner, new Date())).status, 200);
    log.leaves[1] = log.leaves[0]!; // history rewritten
    log.append(2);
    const answer = await addCheckpoint(db, log.request(4), witness.cosigner, new Date());
    assert.equal(answer.status, 422);
    assert.equal(answer.investigate?.log.peerUrl, 'https://peer.example');
    assert.equal(Number((await stored(log.origin)).size), 4);
  });

  test('pinning refuses bad URLs and keys, and private peers in production; nothing is written', async () => {
    const log = createTestLog('peer.example/rezo/ledger/PIN');
    const bad = [
      { url: 'ftp://peer.example', witnessKey: peer.verifierKey, logKeys: [log.verifierKey] },
      { url: 'https://peer.example', witnessKey: log.verifierKey, logKeys: [log.verifierKey] },
      { url: 'https://peer.example', witnessKey: peer.verifierKey, logKeys: [peer.verifierKey] },
      { url: 'https://127.0.0.1:8443', witnessKey: peer.verifierKey, logKeys: [log.verifierKey] },
      { url: 'http://peer.example', witnessKey: peer.verifierKey, logKeys: [log.verifierKey] },
    ];
    for (const input of bad)
      await assert.rejects(pinPeer(db, input, { allowPrivate: false }), { code: 'validation' }, input.url);
    assert.equal(
      await db.selectFrom('ledger_witness_logs').select('origin').where('origin', '=', log.origin).executeTakeFirst(),
      undefined,
    );
    await pinPeer(db, bad[3]!, { allowPrivate: true });
    assert.equal((await stored(log.origin)).peer_url, 'https://127.0.0.1:8443');
  });
});
