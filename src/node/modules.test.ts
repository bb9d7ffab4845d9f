import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importCycles, importEdges, type ImportEdge } from '../../test/importGraph.ts';
import { modules, registerModules, sectionsOf } from './modules.ts';
import { purposeOf } from '../payments/purposes.ts';

// Each module has one public surface (docs/ARCHITECTURE.md, "Module surfaces"): another module imports
// a module through its index.ts only; the node takes what the module gives it (plugin, payment purposes,
// housekeeping jobs, page sections) from its module.ts, through the module list.

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The foundation's folders of src/; every other folder of src/ is a module. */
const FOUNDATION = new Set(['access', 'db', 'http', 'i18n', 'node', 'shared']);
const MODULES = new Set(
  readdirSync(fileURLToPath(new URL('..', import.meta.url)), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !FOUNDATION.has(d.name))
    .map((d) => d.name),
);

/**
 * Imports of another module's file other than its index.ts, known when the rule came: `importer -> imported`.
 * It only shrinks: an entry that no longer violates fails too, and is removed.
 */
const ALLOWLIST = new Set<string>([
  // The ledger and the cards, the ledger and the till depend on each other (a transfer request locks
  // the cards and reads the till's session; the cards and the till call the ledger): through the index
  // files these would close import cycles, so these few imports name the file.
  'src/ledger/transferRequest.ts -> src/cards/cards.ts',
  'src/ledger/transferRequest.ts -> src/till/tillSession.ts',
  'src/till/tillSession.ts -> src/ledger/nodeKey.ts',
]);

const moduleOf = (file: string) => {
  const m = /^src\/([^/]+)\//.exec(file);
  return m && MODULES.has(m[1]!) ? m[1]! : null;
};
/** Tests and their fixtures may reach into any module. */
const isTestCode = (file: string) =>
  /\.test\.ts$|\/testFixtures\.ts$|\/closureFixtures\.ts$|\/test[A-Z]\w*\.ts$/.test(file) || file.startsWith('test/');
const isIndex = (file: string) => /^src\/[^/]+\/index\.ts$/.test(file);
const isModuleFile = (file: string) => /^src\/[^/]+\/module\.ts$/.test(file) && moduleOf(file) !== null;

const edges: ImportEdge[] = importEdges(root, ['src', 'test', 'bench', 'bin']);
const running = edges.filter((e) => !isTestCode(e.from));

test('every module folder has an index.ts and a module.ts, and the module list names each module', () => {
  const folders = readdirSync(`${root}/src`, { withFileTypes: true })
    .filter((d) => d.isDirectory() && MODULES.has(d.name))
    .map((d) => d.name);
  for (const name of folders) assert.ok(existsSync(`${root}/src/${name}/index.ts`), `src/${name}/index.ts is missing`);
  for (const name of folders.filter((n) => n !== 'demo'))
    assert.ok(existsSync(`${root}/src/${name}/module.ts`), `src/${name}/module.ts is missing`);
  const listed = modules.map((m) => m.name).sort();
  assert.deepEqual(listed, [...new Set(listed)], 'a module is listed twice');
  assert.deepEqual(
    listed,
    folders.filter((name) => name !== 'demo').sort(),
    'src/node/modules.ts lists every module with routes',
  );
});

test('a module imports another module through its index.ts only', () => {
  const violations = new Set(
    running
      .filter((e) => {
        const from = moduleOf(e.from);
        const to = moduleOf(e.to);
        // A module's table types may name another's (they compose the DB type, src/db/schema.ts).
        const tableTypes = /\/(tables|closureTables)\.ts$/.test(e.from) && /\/tables\.ts$/.test(e.to);
        return from && to && from !== to && !isIndex(e.to) && !tableTypes;
      })
      .map((e) => `${e.from} -> ${e.to}`),
  );
  const fresh = [...violations].filter((v) => !ALLOWLIST.has(v));
  assert.deepEqual(fresh, [], "import the module's index.ts (export what you need from it)");
  const paid = [...ALLOWLIST].filter((v) => !violations.has(v));
  assert.deepEqual(paid, [], 'these imports no longer violate: remove them from the ALLOWLIST');
});

test("a module's module.ts is imported by the module list only", () => {
  const importers = running.filter((e) => isModuleFile(e.to) && e.from !== 'src/node/modules.ts');
  assert.deepEqual(
    importers.map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});

test('only the node, the command line and tests import src/http/app.ts; it imports modules by their index.ts', () => {
  const importers = running
    .filter((e) => e.to === 'src/http/app.ts')
    .map((e) => e.from)
    .filter((f) => !f.startsWith('src/node/') && !f.startsWith('bin/') && f !== 'src/cli.ts');
  assert.deepEqual(importers, []);
  const internals = edges.filter((e) => e.from === 'src/http/app.ts' && moduleOf(e.to) && !isIndex(e.to));
  assert.deepEqual(
    internals.map((e) => e.to),
    [],
  );
});

test('src/http/module.ts and src/http/app.ts are in no import cycle, and no cycle goes through an index.ts', () => {
  const cycles = importCycles(running).filter((c) =>
    c.some((f) => f === 'src/http/module.ts' || f === 'src/http/app.ts' || isIndex(f) || isModuleFile(f)),
  );
  assert.deepEqual(cycles, []);
});

test('the jobs, purposes and sections the modules give keep the cadence and order they had before the list', () => {
  const jobs = modules.flatMap((m) => (m.housekeeping ?? []).map((j) => `${m.name}.${j.name}:${j.cadence}`));
  assert.deepEqual(jobs.sort(), [
    'accounts.purged:hourly',
    'federation.federationCleanup:hourly',
    'federation.federationPublish:frequent',
    'ledger.nonces:hourly',
    'ledger.passes:hourly',
    'ledger.witnessViews:hourly',
    'ledger.witnesses:frequent',
    'memberships.reminders:hourly',
    'payments.orphanEvents:frequent',
    'payments.pendingSessions:frequent',
    'payments.refunds:frequent',
    'ticketing.expiredOrders:frequent',
    'ticketing.freedSeats:frequent',
    'ticketing.unconfirmedHolds:frequent',
    'till.pairingCodes:hourly',
    'webhooks.deliveries:frequent',
  ]);
  const purposes = modules.flatMap((m) => Object.keys(m.paymentPurposes ?? {}).map((p) => `${m.name}.${p}`));
  assert.deepEqual(purposes.sort(), ['ledger.top_up', 'memberships.membership', 'ticketing.order']);
  const { venue, account, transferNotes } = sectionsOf(modules);
  const owner = (section: object) =>
    modules.find((m) => [...(m.venueSections ?? []), ...(m.accountSections ?? [])].includes(section as never))!.name;
  // The venue page: "Adhérer" (memberships, above the description), the agenda, the offers, the map (agenda).
  assert.deepEqual(venue.map(owner), ['memberships', 'agenda', 'memberships', 'agenda']);
  assert.deepEqual(
    transferNotes.map((note) => modules.find((m) => (m.transferNotes ?? []).includes(note))!.name),
    ['till'],
  );
  assert.deepEqual(account.map(owner), ['memberships', 'ticketing', 'settlement']);
});

test('registerModules registers every purpose of the list, and registering again changes nothing', () => {
  registerModules();
  registerModules();
  for (const m of modules)
    for (const [name, purpose] of Object.entries(m.paymentPurposes ?? {})) assert.equal(purposeOf(name), purpose);
});
