// The till page's files (src/till/tillPage.ts): every browser module served under /static/till/, every
// import between them resolving to a served file, the service worker keeping exactly those, and the
// addresses used before the modules moved still leading to them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { TILL_FILES } from './tillPage.ts';

let t: TestNode;
useTestNode((node) => (t = node));

const get = (url: string) => t.app.inject({ url });

test('every till file is served under /static/till/, as JavaScript or CSS; nothing else is', async () => {
  for (const name of TILL_FILES) {
    const r = await get(`/static/till/${name}`);
    assert.equal(r.statusCode, 200, name);
    assert.equal(
      r.headers['content-type'],
      name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
    );
  }
  for (const name of ['types.js', 'sw.js', 'nothing.js', '..%2Ftables.ts']) {
    assert.equal((await get(`/static/till/${name}`)).statusCode, 404, name);
  }
});

test('the page loads main.js as a module, and each module imports only served modules', async () => {
  const page = await get('/till');
  assert.match(page.body, /<script type="module" src="\/static\/till\/main\.js"><\/script>/);
  assert.match(page.body, /<link rel="stylesheet" href="\/static\/till\/till\.css">/);
  const served = new Set<string>(TILL_FILES);
  const reached = new Set<string>(['main.js']);
  const imports = new Map<string, string[]>();
  for (const name of TILL_FILES.filter((n) => n.endsWith('.js'))) {
    const source = (await get(`/static/till/${name}`)).body;
    const targets = [...source.matchAll(/^import [^;]*? from '\.\/([\w.]+)';$/gm)].map((m) => m[1]!);
    for (const target of targets) {
      assert.ok(served.has(target), `${name} imports ./${target}, which is not served`);
      reached.add(target);
    }
    imports.set(name, targets);
  }
  // No cycle: a module never imports, through others, one that imports it.
  const path: string[] = [];
  const done = new Set<string>();
  const visit = (name: string) => {
    assert.ok(!path.includes(name), `import cycle: ${[...path, name].join(' → ')}`);
    if (done.has(name)) return;
    path.push(name);
    for (const target of imports.get(name) ?? []) visit(target);
    path.pop();
    done.add(name);
  };
  visit('main.js');
  assert.deepEqual(
    [...reached].sort(),
    TILL_FILES.filter((n) => n.endsWith('.js')).sort(),
    'every served module is used',
  );
});

test('the service worker keeps the page and exactly the served files', async () => {
  const worker = (await get('/till/sw.js')).body;
  assert.equal(worker, readFileSync(new URL('./public/sw.js', import.meta.url), 'utf8'));
  const shell = /const SHELL = \[([^\]]*)\]/
    .exec(worker)![1]!
    .match(/'[^']+'/g)!
    .map((s) => s.slice(1, -1));
  assert.deepEqual(
    shell.sort(),
    [
      ...['/till', '/till/icon.svg', '/till/manifest.webmanifest'],
      ...TILL_FILES.map((n) => `/static/till/${n}`),
    ].sort(),
  );
  assert.match(worker, /const CACHE = 'rezo-till-v5';/);
  // jsQR, the camera's decoder without BarcodeDetector, served from the dependency (no CDN).
  const jsqr = await get('/static/till/jsQR.js');
  assert.equal(jsqr.statusCode, 200);
  assert.match(jsqr.body, /jsQR/);
});

test('the addresses from before the move redirect to the files under /static/till/', async () => {
  for (const [from, to] of [
    ['/static/till.js', '/static/till/main.js'],
    ['/static/tillRules.js', '/static/till/tillRules.js'],
    ['/static/tillSigning.js', '/static/till/signing.js'],
    ['/static/till.css', '/static/till/till.css'],
  ]) {
    const r = await get(from!);
    assert.equal(r.statusCode, 301, from);
    assert.equal(r.headers.location, to);
  }
});
