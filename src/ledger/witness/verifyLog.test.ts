import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { sealBlocks } from '../sealer.ts';
import { useLedgerWorld, type LedgerWorld } from '../testFixtures.ts';
import { createTestWitness } from '../tlog/testLog.ts';
import { formatSignatureLine, parseNote } from '../tlog/signedNote.ts';
import { ledgerCommand } from '../verifyCommand.ts';
import { listLogs } from './logs.ts';
import { makeLogCheckpoints } from './makeLogCheckpoints.ts';

// `rezo ledger verify` and the transparency log (docs/FEDERATION.md, "rezo ledger verify"): the stored
// tree checkpoints against the blocks, the cosignatures against the pinned witness keys; the operator's
// identity and peer commands.

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));
const node = { baseUrl: 'http://rezo.test', allowPrivate: false };
const witness = createTestWitness('peer.example/rezo/witness');

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await ledgerCommand(db, args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, node);
  return { code, stdout, stderr };
}

async function grow() {
  const p = await w.person();
  await w.fund(p.euro.id, 700);
  await sealBlocks(db);
  await makeLogCheckpoints(db, node.baseUrl);
}

describe('verify and the transparency log', () => {
  test('the operator prints the identity to give, pins a peer, and a wrong key is refused', async () => {
    const me = await run(['identity']);
    assert.equal(me.code, 0);
    assert.match(me.stdout, /^witness rezo\.test\/rezo\/witness\+[0-9a-f]{8}\+/m);
    assert.match(me.stdout, new RegExp(`rezo\\.test/rezo/ledger/${w.euro.code}\\+`));
    const bad = await run(['peer', 'add', '--url', 'https://peer.example', '--witness-key', 'nope', '--log-keys', 'x']);
    assert.deepEqual([bad.code, /witnessKey/.test(bad.stderr)], [1, true]);
    const ok = await run([
      'peer',
      'add',
      '--url',
      'https://peer.example',
      '--witness-key',
      witness.verifierKey,
      '--log-keys',
      me.stdout.match(/log-keys (\S+)/)![1]!.split(',')[0]!,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      (await run(['peer', 'list'])).stdout,
      /witness peer\.example\/rezo\/witness at https:\/\/peer\.example/,
    );
  });

  test('tree checkpoints and cosignatures are checked; a bad cosignature, then a rewritten block, are named', async () => {
    await grow();
    await grow();
    const [log] = await listLogs(db, node.baseUrl, w.euro.code);
    const text = parseNote(log!.note).text;
    await db
      .insertInto('ledger_log_cosignatures')
      .values({
        currency_id: w.euro.id,
        size: log!.size,
        witness_name: witness.name,
        signature_line: formatSignatureLine(witness.cosigner.cosign(text, 1_700_000_000)).trimEnd(),
        cosigned_at: new Date(1_700_000_000_000),
      })
      .execute();
    const sound = await run(['verify', '--currency', w.euro.code]);
    assert.equal(sound.code, 0, sound.stderr);
    assert.match(
      sound.stdout,
      new RegExp(
        `${w.euro.code} log: 2 tree checkpoints and 1 cosignatures verified; peer\\.example/rezo/witness cosigned ${log!.size} blocks`,
      ),
    );

    const forged = formatSignatureLine(witness.cosigner.cosign(`${text}x\n`, 1_700_000_000)).trimEnd();
    await sql`update ledger_log_cosignatures set signature_line = ${forged} where currency_id = ${w.euro.id}`.execute(
      db,
    );
    const badCosig = await run(['verify', '--currency', w.euro.code]);
    assert.equal(badCosig.code, 1);
    assert.match(badCosig.stderr, /log-cosignature .* witness peer\.example\/rezo\/witness/);
    await sql`delete from ledger_log_cosignatures where currency_id = ${w.euro.id}`.execute(db);

    // A block rewritten together with its hash: the chain's own checks name the block.
    await db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update ledger_log_checkpoints set root_hash = ${'00'.repeat(32)} where currency_id = ${w.euro.id} and size = 1`.execute(
        trx,
      );
    });
    const badRoot = await run(['verify', '--currency', w.euro.code]);
    assert.equal(badRoot.code, 1);
    assert.match(badRoot.stderr, /log-checkpoint .* at log checkpoint 1: the stored size or root differs/);
  });
});
