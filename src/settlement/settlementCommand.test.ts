import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { CommandLineError } from '../ledger/commandArgs.ts';
import { DomainError } from '../shared/errors.ts';
import { parseSettlementArgs, settlementCommand } from './settlementCommand.ts';
import { createSettlementWorld } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

test('rezo settlement: arguments read before the database opens; a mistake is one line naming the usage', () => {
  assert.deepEqual(parseSettlementArgs(['run', '--federation', 'f', '--until', '2025-01-31']), {
    action: 'run',
    federation: 'f',
    until: '2025-01-31',
  });
  assert.deepEqual(parseSettlementArgs(['treasurer', 'add', '--federation', 'f', 'a@example.org']), {
    action: 'treasurer',
    add: true,
    federation: 'f',
    email: 'a@example.org',
  });
  for (const args of [
    [],
    ['run', '--federation', 'f'],
    ['run', '--until', 'now'],
    ['run', '--federation', 'f', '--until', 'now', '--bps', '1'],
    ['treasurer', 'grant', '--federation', 'f', 'a@example.org'],
    ['fee', '--federation', 'f'],
    ['list', '--federation', 'f', '--colour', 'x'],
  ])
    assert.throws(() => parseSettlementArgs(args), CommandLineError, args.join(' '));
});

test('rezo settlement run, list, treasurer and fee, as the node', async () => {
  const w = await createSettlementWorld(t);
  const card = await w.card(5_000);
  await w.barSale(card, 2);
  await new Promise((r) => setTimeout(r, 5));
  const out: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) };
  const fed = w.federation.slug;
  assert.equal(await settlementCommand(t.db, { action: 'fee', federation: fed, bps: '100' }, io), 0);
  assert.equal(await settlementCommand(t.db, { action: 'run', federation: fed, until: 'now' }, io), 0);
  const run = out.join('');
  assert.match(run, /run [0-9a-f-]{36} complete, 2 statement\(s\)/);
  assert.match(
    run,
    new RegExp(
      `${fed}-000001  ${w.venueA.slug}: opening 0\\.00, tokens 7\\.00, cash 0\\.00, fee 0\\.07, closing 6\\.93 \\(to pay\\)`,
    ),
  );
  out.length = 0;
  assert.equal(await settlementCommand(t.db, { action: 'list', federation: fed }, io), 0);
  assert.match(out.join(''), /\(complete\)\n {2}\S+-000001/);
  out.length = 0;
  const email = `second-${fed}@example.org`;
  await settlementCommand(t.db, { action: 'treasurer', add: true, federation: fed, email }, io);
  await settlementCommand(t.db, { action: 'treasurer', add: true, federation: fed, email }, io);
  await settlementCommand(t.db, { action: 'treasurer', add: false, federation: fed, email }, io);
  assert.deepEqual(out, [
    `${email} is now a treasurer of ${fed}\n`,
    `${email} already was a treasurer of ${fed}\n`,
    `${email} is no longer a treasurer of ${fed}\n`,
  ]);
  await assert.rejects(
    settlementCommand(t.db, { action: 'run', federation: 'no-such-federation', until: 'now' }, io),
    (e: unknown) => e instanceof DomainError && e.code === 'not-found',
  );
});
