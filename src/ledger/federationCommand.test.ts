import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { migrate } from '../db/migrate.ts';
import { useScratchNode } from '../../test/rezoProcess.ts';
import { CommandLineError } from './commandArgs.ts';
import { currencyCommand, parseCurrencyArgs } from './currencyCommand.ts';
import { federationCommand, parseFederationArgs } from './federationCommand.ts';

/** `rezo federation …` and `rezo currency …` on a scratch database: the real command, then the same modules in-process. */
const node = useScratchNode('rezo-fed-', { REZO_ENV: 'test', LOG_LEVEL: 'warn', REZO_DEMO: '0' }, async () => {
  await mkdir(join(node.dataDir, 'pglite'));
  await node.withDatabase(async (database) => {
    if (!node.testDatabase) await migrate(database);
    const admin = await ensurePerson(database.db, 'admin@fed.example.org', 'fr');
    for (const slug of ['cafe', 'bar', 'salle'])
      await createPlace(database.db, SYSTEM, { slug, name: `Le ${slug}` }, admin.id);
  });
});
const rezo = node.run;

const oneLine = (r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) => {
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(r.stderr, /^rezo: /);
  assert.match(r.stderr, pattern);
};

describe('rezo federation and rezo currency', () => {
  test('the operator sets up a federation, its euro, a venue joining later; bad input is one line and writes nothing', async () => {
    oneLine(
      await rezo('federation', 'create', 'terr', '--name', 'Territoire', '--venues', 'cafe,nope'),
      /no venue with the slug "nope"/,
    );
    const created = await rezo('federation', 'create', 'terr', '--name', 'Territoire', '--venues', 'cafe');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'federation "terr" created with 1 venue(s): cafe\n');
    const euro = await rezo(
      'currency',
      'create',
      'teur',
      '--name',
      'Euro du territoire',
      '--kind',
      'federated_euro',
      '--federation',
      'terr',
    );
    assert.equal(euro.code, 0, euro.stderr);
    assert.equal(
      euro.stdout,
      'currency TEUR created (federated_euro, 2 decimals, issued by federation terr); accepted by: cafe\n',
    );
    const joined = await rezo('federation', 'add-venue', 'terr', 'bar');
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, 'bar joined federation "terr"; it accepts TEUR\n');
    oneLine(
      await rezo('currency', 'accept', 'TEUR', 'salle'),
      /Le salle is not a member of the federation issuing TEUR/,
    );
    const listed = await rezo('currency', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      /^CODE +KIND +ISSUER +ACCEPTED BY\nTEUR +federated_euro +federation terr +bar, cafe\n$/,
    );

    await node.withDatabase(async ({ db }) => {
      const federations = await db.selectFrom('ledger_federations').select('slug').execute();
      assert.deepEqual(
        federations.map((f) => f.slug),
        ['terr'],
        'the refused create wrote nothing',
      );
      let stdout = '';
      let stderr = '';
      const out = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
      const run = async (command: 'federation' | 'currency', ...args: string[]) => {
        stdout = '';
        stderr = '';
        const code =
          command === 'federation'
            ? await federationCommand(db, parseFederationArgs(args), out)
            : await currencyCommand(db, parseCurrencyArgs(args), out);
        return { code, stdout, stderr };
      };
      assert.deepEqual(await run('federation', 'add-venue', 'terr', 'bar'), {
        code: 0,
        stdout: 'bar already is in federation "terr"; it accepts TEUR: nothing changed\n',
        stderr: '',
      });
      assert.equal(
        (await run('federation', 'add-venue', 'nope', 'bar')).stderr,
        'rezo: no federation with the slug "nope"; nothing was written\n',
      );
      assert.equal(
        (await run('federation', 'add-venue', 'terr', 'nope')).stderr,
        'rezo: no venue with the slug "nope"; nothing was written\n',
      );
      assert.equal(
        (await run('currency', 'create', 'CAFE', '--name', 'Avoir Café', '--kind', 'gift', '--issuer', 'cafe')).code,
        0,
      );
      assert.deepEqual(await run('currency', 'accept', 'cafe', 'salle'), {
        code: 0,
        stdout: 'salle now accepts CAFE\n',
        stderr: '',
      });
      assert.equal(
        (await run('currency', 'accept', 'CAFE', 'salle')).stdout,
        'salle already accepts CAFE: nothing changed\n',
      );
      assert.equal(
        (await run('currency', 'accept', 'NOPE', 'salle')).stderr,
        'rezo: no currency with the code "NOPE"; nothing was written\n',
      );
      assert.equal(
        (
          await run(
            'currency',
            'create',
            'X1',
            '--name',
            'X',
            '--kind',
            'gift',
            '--issuer',
            'cafe',
            '--accepted-by',
            'bar,ghost',
          )
        ).stderr,
        'rezo: no venue with the slug "ghost"; nothing was written\n',
      );
      assert.deepEqual(await run('federation', 'list'), {
        code: 0,
        stderr: '',
        stdout: 'terr  "Territoire"\n  venues (2): bar, cafe\n  currencies: TEUR (federated_euro)\n',
      });
      assert.match((await run('currency', 'list')).stdout, /\nCAFE +gift +venue cafe +cafe, salle\n/);
      const currencies = await db.selectFrom('ledger_currencies').select('code').orderBy('code').execute();
      assert.deepEqual(
        currencies.map((c) => c.code),
        ['CAFE', 'TEUR'],
      );
      for (const args of [
        ['federation', 'create', 'x'],
        ['federation', 'add-venue', 'x'],
        ['federation', 'list', '--name', 'x'],
        ['currency', 'create', 'X', '--name', 'X', '--kind', 'coins', '--issuer', 'cafe'],
        ['currency', 'create', 'X', '--name', 'X', '--kind', 'federated_euro', '--issuer', 'cafe'],
        ['currency', 'create', 'X', '--name', 'X', '--kind', 'gift', '--issuer', 'cafe', '--decimals', 'two'],
        ['currency', 'create', 'X', '--name', 'X', '--kind', 'gift', '--issuer', 'cafe', '--colour', 'red'],
        ['currency', 'accept', 'X'],
      ]) {
        const [command, ...rest] = args;
        assert.throws(
          () => (command === 'federation' ? parseFederationArgs(rest) : parseCurrencyArgs(rest)),
          CommandLineError,
          args.join(' '),
        );
      }
    });
  });
});
