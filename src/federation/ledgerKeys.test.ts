import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { createLedgerWorld } from '../ledger/testFixtures.ts';
import { peerCommand } from '../ledger/witness/peerCommand.ts';

/** The node's ledger keys on the instance actor (docs/FEDERATION.md, "Actors"): what `rezo ledger identity` prints. */
let t: TestNode;
before(async () => {
  t = await createTestNode();
  await createLedgerWorld(t.db);
});
after(async () => t.close());

describe('ledger keys on the relay actor', () => {
  test('the witness key and every currency log key, equal to `rezo ledger identity`', async () => {
    let printed = '';
    const out = { stdout: (s: string) => void (printed += s), stderr: () => {} };
    assert.equal(await peerCommand(t.db, ['identity'], out, { baseUrl: t.config.baseUrl, allowPrivate: true }), 0);
    const witness = /^witness (.+)$/m.exec(printed)![1];
    const logKeys = /^log-keys (.+)$/m.exec(printed)![1]!.split(',');
    assert.ok(logKeys.length >= 2, 'the world has several currencies');

    const response = await t.app.inject({
      method: 'GET',
      url: '/ap/actors/relay',
      headers: { accept: 'application/activity+json' },
    });
    assert.equal(response.statusCode, 200);
    const actor = JSON.parse(response.body) as Record<string, unknown>;
    assert.equal(actor['rezo:ledgerWitnessKey'], witness);
    assert.equal(actor['rezo:ledgerLogs'], `${t.config.baseUrl}/ledger/logs`);
    const attachment = actor.attachment as { type: string; name: string; value: string }[];
    assert.deepEqual(
      attachment.map((a) => a.value),
      logKeys,
    );
    assert.ok(attachment.every((a) => a.type === 'PropertyValue' && a.name.startsWith('rezo:ledgerLog:')));
  });
});
