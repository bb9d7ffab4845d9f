import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  migrationTables,
  moduleOf,
  sourceFiles,
  tableReferences,
  type TableReference,
} from '../../test/tableReferences.ts';
import { TABLE_OWNERS } from './tableOwners.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const owners: Record<string, string> = TABLE_OWNERS;

/**
 * Files not held to the owners (docs/ARCHITECTURE.md, "Table owners"): tests and test fixtures check
 * or prepare rows directly; the demo loader (src/demo and each module's demo<Module>.ts, which only
 * src/demo calls) fabricates a territory on a new node in one transaction.
 */
function exempt(file: string): boolean {
  return (
    file.endsWith('.test.ts') ||
    file.startsWith('src/demo/') ||
    /^src\/[a-z]+\/demo[A-Z]\w*\.ts$/.test(file) ||
    /^src\/[a-z]+\/(testFixtures|closureFixtures)\.ts$/.test(file)
  );
}

/** Words of a module's sql`…` templates that are its own columns, not the table of the same name. */
const COLUMNS_NAMED_LIKE_TABLES: Record<string, string[]> = {
  webhooks: ['events'], // webhook_endpoints.events
};

/**
 * A module naming another module's table, as `file table`: each entry is a debt to pay by moving
 * the query into a function of the owner. The list only shrinks: a new violation fails, and so
 * does an entry that no longer violates (remove it).
 */
const ALLOWLIST = new Set<string>([
  'src/access/permissions.ts place_members',
  'src/admin/listPeople.ts people',
  'src/admin/listPeople.ts place_members',
  'src/agenda/agendaQuery.ts places',
  'src/agenda/apiRoutes.ts places',
  'src/agenda/feeds.ts places',
  'src/agenda/publicPages.ts places',
  'src/cards/cards.ts people',
  'src/memberships/memberships.ts people',
  'src/memberships/sendRenewalReminders.ts places',
  'src/memberships/sendRenewalReminders.ts people',
  'src/payments/confirmPayment.ts audit_log',
  'src/payments/handleStripeWebhook.ts places',
  'src/payments/reconcilePayment.ts places',
  'src/payments/reconcilePendingSessions.ts places',
  'src/payments/sendPendingRefunds.ts places',
  'src/payments/startStripeCheckout.ts places',
  'src/places/createPlace.ts place_members',
  'src/places/places.ts place_members',
  'src/settlement/treasurers.ts people',
  'src/team/team.ts people',
  'src/ticketing/auditRow.ts audit_log',
  'src/ticketing/completeOrder.ts places',
  'src/ticketing/completeOrder.ts webhook_endpoints',
  'src/ticketing/eventAdmin.ts events',
  'src/ticketing/eventAdmin.ts event_dates',
  'src/ticketing/myTickets.ts events',
  'src/ticketing/myTickets.ts event_dates',
  'src/ticketing/orderState.ts webhook_endpoints',
  'src/ticketing/readForOrder.ts event_dates',
  'src/ticketing/readForOrder.ts events',
  'src/ticketing/readForOrder.ts places',
  'src/ticketing/routes.ts events',
  'src/ticketing/routes.ts places',
  'src/ticketing/routes.ts event_dates',
  'src/ticketing/waitingListOffers.ts event_dates',
  'src/ticketing/waitingListRoutes.ts event_dates',
  'src/ticketing/waitingListRoutes.ts events',
  'src/till/applySale.ts place_members',
  'src/till/applySale.ts places',
]);

function violations(): TableReference[] {
  const tables = new Set(Object.keys(owners));
  return sourceFiles(root, 'src')
    .filter((file) => !exempt(file))
    .flatMap((file) => tableReferences(root, file, tables))
    .filter((r) => {
      const module = moduleOf(r.file);
      if (owners[r.table] === module) return false;
      return !(r.via === 'sql' && COLUMNS_NAMED_LIKE_TABLES[module]?.includes(r.table));
    });
}

test('every table of the migrations has an owner, and every owner is a module', () => {
  const created = migrationTables(root);
  const missing = [...created].filter(([table]) => !(table in owners)).map(([t, file]) => `${t} (${file})`);
  assert.deepEqual(missing, [], `tables without an owner in src/db/tableOwners.ts: ${missing.join(', ')}`);
  // schema_migrations is made by the migrator itself, the one table not in a migration.
  assert.match(readFileSync(`${root}src/db/migrate.ts`, 'utf8'), /create table if not exists schema_migrations/);
  const unknown = Object.keys(owners).filter((t) => !created.has(t) && t !== 'schema_migrations');
  assert.deepEqual(unknown, [], 'owned tables that no migration creates');
  const modules = [...new Set(Object.values(owners))].filter((m) => !existsSync(`${root}src/${m}`));
  assert.deepEqual(modules, [], 'owners that are not a folder under src/');
});

test('no module names a table it does not own (but the allowlist, which only shrinks)', () => {
  const found = violations();
  const fresh = found.filter((r) => !ALLOWLIST.has(`${r.file} ${r.table}`));
  assert.deepEqual(
    fresh.map((r) => `${r.file}:${r.line} names ${r.table} (${r.via}), owned by ${owners[r.table]}`),
    [],
    'call a function of the owning module instead (docs/ARCHITECTURE.md, "Table owners")',
  );
  const still = new Set(found.map((r) => `${r.file} ${r.table}`));
  const stale = [...ALLOWLIST].filter((entry) => !still.has(entry));
  assert.deepEqual(stale, [], 'allowlisted entries that no longer violate: remove them from ALLOWLIST');
});

test('the scanner finds what it must', () => {
  const file = 'test/tableReferences.fixture.ts';
  const found = (text: string) => {
    const tables = new Set(['ledger_accounts', 'cards', 'places', 'orders']);
    return tableReferences(root, file, tables, text).map((r) => `${r.line}:${r.table}:${r.via}`);
  };
  assert.deepEqual(
    found(
      [
        "db.selectFrom('ledger_accounts as a').innerJoin('places as p', 'p.id', 'a.owner')",
        "  .leftJoin(['cards'])",
        "sql`select o.orders, x as cards, 'places' from ledger_accounts -- orders",
        '  join ${t} on ${sql`places`}` ',
        "trx.deleteFrom('ledger_accountsx')",
      ].join('\n'),
    ),
    ['1:ledger_accounts:selectFrom', '1:places:innerJoin', '2:cards:leftJoin', '3:ledger_accounts:sql', '4:places:sql'],
  );
});

test('docs/ARCHITECTURE.md lists the owners of src/db/tableOwners.ts', () => {
  const doc = readFileSync(`${root}docs/ARCHITECTURE.md`, 'utf8');
  const byOwner = new Map<string, string[]>();
  for (const [table, owner] of Object.entries(owners)) byOwner.set(owner, [...(byOwner.get(owner) ?? []), table]);
  const expected = [...byOwner].map(
    ([owner, tables]) => `| \`src/${owner}/\` | ${tables.map((t) => `\`${t}\``).join(', ')} |`,
  );
  const start = doc.indexOf('| owner | tables |');
  assert.ok(start >= 0, 'docs/ARCHITECTURE.md has a "| owner | tables |" table');
  const rows = doc
    .slice(start)
    .split('\n')
    .slice(2)
    .filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')));
  assert.deepEqual(rows, expected, 'the table of owners in docs/ARCHITECTURE.md, from src/db/tableOwners.ts');
});
