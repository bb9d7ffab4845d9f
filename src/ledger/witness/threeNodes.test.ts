import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import { createTestNode, type TestNode } from '../../../test/harness.ts';
import { createLedgerWorld, type LedgerWorld } from '../testFixtures.ts';
import { formatAddCheckpointRequest } from '../tlog/addCheckpointWire.ts';
import { consistencyProof, leafHash, treeHash } from '../tlog/merkle.ts';
import { compareViews } from './compareViews.ts';
import { listEvidence } from './evidence.ts';
import { logVerifierKey, witnessVerifierKey } from './identity.ts';
import { listLogs } from './logs.ts';
import { logLeaves } from './logTree.ts';
import { makeLogCheckpoints } from './makeLogCheckpoints.ts';
import { pinPeer } from './pinPeer.ts';
import { sendCheckpoints } from './sendCheckpoints.ts';
import { signLogCheckpoint } from './identity.ts';

// Issue 17, "Witnessing": three Rezo nodes, each on its own database, over real HTTP on 127.0.0.1
// ports, pinned to each other. They cosign each other's checkpoints; a node that rewrites a sealed
// block by direct SQL, or shows two peers different trees, is caught and flagged by the others.

const peers = { allowPrivate: true, timeoutMs: 5000 };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Peer {
  t: TestNode;
  w: LedgerWorld;
  url: string;
}

async function startPeer(): Promise<Peer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await createTestNode({ baseUrl: url });
  await t.app.listen({ port, host: '127.0.0.1' });
  return { t, w: await createLedgerWorld(t.db), url };
}

/** Some transfers in both currencies, sealed, and the logs' checkpoints signed. */
async function grow(p: Peer): Promise<void> {
  const person = await p.w.person();
  await p.w.fund(person.euro.id, 500);
  await p.w.fund(person.gift.id, 300, p.w.gift);
  // The node's own sealer may hold the sealing lock at this moment (then sealBlocks seals nothing):
  // sealNow waits for a round of its own.
  await p.t.node.sealer.sealNow();
  await makeLogCheckpoints(p.t.db, p.url);
}

async function pinEachOther(nodes: Peer[]): Promise<void> {
  for (const x of nodes)
    for (const y of nodes.filter((n) => n !== x)) {
      const logs = await listLogs(y.t.db, y.url);
      await pinPeer(
        x.t.db,
        {
          url: y.url,
          witnessKey: await witnessVerifierKey(y.t.db, y.url),
          logKeys: await Promise.all(logs.map((l) => logVerifierKey(y.t.db, l.origin))),
        },
        { allowPrivate: true },
      );
    }
}

async function checkpointServed(p: Peer, code: string): Promise<string> {
  const r = await fetch(`${p.url}/ledger/${code}/checkpoint`);
  assert.equal(r.status, 200);
  return r.text();
}

describe('three nodes witness each other over HTTP', () => {
  let a: Peer;
  let b: Peer;
  let c: Peer;
  before(async () => {
    [a, b, c] = await Promise.all([startPeer(), startPeer(), startPeer()]);
    for (const p of [a, b, c]) await grow(p);
    await pinEachOther([a, b, c]);
  });
  after(async () => {
    for (const p of [a, b, c]) await p?.t.close();
  });

  test('each node cosigns the others’ checkpoints, then their growth (consistency proofs)', async () => {
    for (const p of [a, b, c])
      assert.deepEqual(await sendCheckpoints(p.t.db, p.url, peers), { cosigned: 4, failed: 0 });
    const served = await checkpointServed(a, a.w.euro.code);
    assert.equal((served.match(/^— 127\.0\.0\.1:\d+\/rezo\/witness /gm) ?? []).length, 2, served);
    for (const p of [a, b, c]) await grow(p);
    for (const p of [a, b, c])
      assert.deepEqual(await sendCheckpoints(p.t.db, p.url, peers), { cosigned: 4, failed: 0 });
    const [euro] = await listLogs(b.t.db, b.url, b.w.euro.code);
    assert.equal(euro!.size, 2);
    assert.deepEqual(
      euro!.cosignatures.map((s) => s.witness).sort(),
      [a.url, c.url].map((u) => `${new URL(u).host}/rezo/witness`).sort(),
    );
    const logs = (await (await fetch(`${c.url}/ledger/logs`)).json()) as { logs: { cosignatures: unknown[] }[] };
    assert.ok(logs.logs.every((l) => l.cosignatures.length === 2));
  });

  test('a sealed block rewritten by direct SQL is caught by the witnesses, who keep and share the proof', async () => {
    const { db } = a.t;
    await sql`alter table ledger_blocks disable trigger ledger_blocks_no_update_delete`.execute(db);
    await sql`update ledger_blocks set hash = ${'ab'.repeat(32)} where currency_id = ${a.w.euro.id} and number = 1`.execute(
      db,
    );
    await sql`alter table ledger_blocks enable trigger ledger_blocks_no_update_delete`.execute(db);
    await grow(a);
    const sent = await sendCheckpoints(db, a.url, peers);
    assert.equal(sent.failed, 2, 'both witnesses refuse the rewritten euro log');
    for (const witness of [b, c]) {
      const held = (await listEvidence(witness.t.db)).filter((e) => e.origin.endsWith(`/ledger/${a.w.euro.code}`));
      assert.equal(held.length >= 1, true, `${witness.url} holds evidence`);
      assert.equal(held[0]!.kind, 'inconsistent');
      const page = await (await fetch(`${witness.url}/transparency`)).text();
      assert.match(page, new RegExp(a.w.euro.code));
      assert.match(page, /ledger-evidence/);
    }
    // The gift log was not touched: still cosigned by both.
    const [gift] = await listLogs(db, a.url, a.w.gift.code);
    assert.equal(gift!.cosignatures.length, 2);
    // Nothing more is cosigned for the equivocating log.
    await grow(a);
    const again = await sendCheckpoints(db, a.url, { ...peers, now: new Date(Date.now() + 3_600_000) });
    assert.equal(again.failed, 2);
  });

  test('a node that shows two peers different trees is caught when the witnesses compare views', async () => {
    // B signs the next gift block honestly for A, and a forged one of the same size for C.
    const { db } = b.t;
    const person = await b.w.person();
    await b.w.fund(person.gift.id, 100, b.w.gift);
    await b.t.node.sealer.sealNow();
    const [before_] = await listLogs(db, b.url, b.w.gift.code);
    const leaves = await logLeaves(db, b.w.gift.id);
    const size = leaves.length;
    assert.equal(size, before_!.size + 1);
    const forged = [...leaves.slice(0, -1), leafHash(Buffer.from('a block that never was'))];
    const post = async (to: Peer, of: Uint8Array[]) =>
      fetch(`${to.url}/ledger-witness/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: formatAddCheckpointRequest({
          oldSize: before_!.size,
          proof: consistencyProof(of, before_!.size, size),
          checkpoint: await signLogCheckpoint(db, before_!.origin, size, treeHash(of)),
        }),
      });
    assert.equal((await post(a, leaves)).status, 200);
    assert.equal((await post(c, forged)).status, 200);
    const found = await compareViews(a.t.db, peers);
    assert.equal(found.evidence >= 1, true);
    for (const witness of [a, c]) {
      const held = (await listEvidence(witness.t.db)).filter((e) => e.origin === before_!.origin);
      assert.equal(held[0]?.kind, 'fork', witness.url);
    }
    // C stops cosigning B's gift log.
    const third = await post(c, forged);
    assert.equal(third.status, 403);
  });
});
