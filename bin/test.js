#!/usr/bin/env node
// The test runner behind `npm test`. It migrates one template database per run, then runs every
// *.test.ts file with node's test runner; each file clones the template into its own database.
//   npm test                         all tests on PGlite (embedded)
//   TEST_DATABASE_URL=postgres://... npm test   the same suite on a PostgreSQL server
//   npm test -- places accounts      only the files whose path contains one of these words
import { spawn } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { readdir, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

async function findTests(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findTests(path)));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = [...(await findTests(join(root, 'src'))), ...(await findTests(join(root, 'test')))]
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  process.stderr.write('no test file matches\n');
  process.exit(1);
}

const { openDatabase } = await import('../src/db/database.ts');
const { migrate } = await import('../src/db/migrate.ts');
const { databaseUrl, withAdmin } = await import('../test/testDatabase.ts');

const env = { ...process.env, REZO_ENV: 'test' };
let cleanup = async () => {};
const serverUrl = process.env.TEST_DATABASE_URL;
const started = Date.now();
if (serverUrl) {
  const template = `rezo_tpl_${process.pid}_${Date.now().toString(36)}`;
  await withAdmin(serverUrl, (c) => c.query(`create database ${template}`));
  const database = await openDatabase({ url: databaseUrl(serverUrl, template), poolSize: 1 });
  await migrate(database);
  await database.close();
  // A backend lives on for a moment after its client disconnects, and CREATE DATABASE … TEMPLATE
  // waits up to 5 s for the template to have no session: wait for it here, once.
  await withAdmin(serverUrl, async (c) => {
    for (let i = 0; i < 100; i++) {
      const { rows } = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [template]);
      if (rows[0].n === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  env.REZO_TEST_PG_TEMPLATE = template;
  cleanup = () => withAdmin(serverUrl, (c) => c.query(`drop database if exists ${template} with (force)`));
  process.stdout.write(`tests on PostgreSQL (${new URL(serverUrl).host}), template database ${template}\n`);
} else {
  const dir = await mkdtemp(join(tmpdir(), 'rezo-test-'));
  const database = await openDatabase({});
  await migrate(database);
  const templatePath = join(dir, 'template.tar');
  await writeFile(templatePath, Buffer.from(await (await database.dumpDataDir()).arrayBuffer()));
  await database.close();
  env.REZO_TEST_PGLITE_TEMPLATE = templatePath;
  cleanup = () => rm(dir, { recursive: true, force: true });
}
process.stdout.write(`template ready in ${Date.now() - started} ms; ${files.length} test files\n`);

const concurrency = Number(process.env.REZO_TEST_CONCURRENCY) || Math.max(2, availableParallelism());
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await cleanup();
process.exit(code);
