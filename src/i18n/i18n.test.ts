import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  catalogueKeys,
  decimalSeparator,
  groupSeparator,
  hasKey,
  LANGUAGES,
  localeOf,
  negotiateLanguage,
  translate,
  translator,
  type Language,
} from './i18n.ts';

const srcDir = fileURLToPath(new URL('..', import.meta.url));

/** Every source file of the product (tests excluded), with its text; `.js` adds the browser scripts. */
function sources(dir = srcDir, extensions = ['.ts']): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path, extensions));
    else if (extensions.some((e) => entry.name.endsWith(e)) && !entry.name.endsWith('.test.ts'))
      out.push({ file: relative(srcDir, path), text: readFileSync(path, 'utf8') });
  }
  return out;
}

/** The lines of the product's code (TypeScript and browser scripts) that match `re`, as "file:line: text". */
function linesMatching(re: RegExp, skip: (file: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const { file, text } of sources(srcDir, ['.ts', '.js']).filter((s) => !skip(s.file))) {
    text.split('\n').forEach((line, i) => {
      if (re.test(line)) out.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

/** All captures of `re` (first group) in every source file, with where they were found. */
function uses(re: RegExp): { value: string; where: string }[] {
  const out: { value: string; where: string }[] = [];
  for (const { file, text } of sources()) {
    for (const m of text.matchAll(re)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ value: m[1]!, where: `${file}:${line}` });
    }
  }
  return out;
}

function missing(keys: { value: string; where: string }[], toKey: (v: string) => string[]): string[] {
  const out: string[] = [];
  for (const { value, where } of keys) {
    for (const key of toKey(value)) {
      for (const lang of LANGUAGES) {
        if (!catalogueKeys(lang).includes(key) && !catalogueKeys(lang).includes(`${key}.other`))
          out.push(`${lang}: ${key} (${where})`);
      }
    }
  }
  return [...new Set(out)];
}

describe('catalogues', () => {
  test('fr and en have exactly the same keys', () => {
    const fr = new Set(catalogueKeys('fr'));
    const en = new Set(catalogueKeys('en'));
    assert.deepEqual(
      [...fr].filter((k) => !en.has(k)),
      [],
      'in fr, missing in en',
    );
    assert.deepEqual(
      [...en].filter((k) => !fr.has(k)),
      [],
      'in en, missing in fr',
    );
  });

  test('no translation is empty, and both languages use the same {placeholders}', () => {
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of catalogueKeys('fr')) {
      const fr = translate('fr', key);
      const en = translate('en', key);
      assert.ok(fr.trim() && en.trim(), `${key} is empty`);
      assert.deepEqual(params(en), params(fr), `${key}: placeholders differ`);
    }
  });

  test('every literal key the code translates exists in both languages', () => {
    const keys = [
      ...uses(/\bt\(\s*'([^']+)'/g),
      ...uses(/\bt\(\s*`([^`$]+)`/g),
      ...uses(/\btranslate\(\s*[\w.]+\s*,\s*'([^']+)'/g),
    ];
    assert.ok(keys.length > 50, `found ${keys.length} keys: the scan is broken`);
    assert.deepEqual(
      missing(keys, (k) => [k]),
      [],
    );
  });

  test('every problem code thrown has a title, a detail and an explanation page', () => {
    const codes = [...uses(/new DomainError\(\s*'([^']+)'/g)];
    assert.ok(
      codes.some((c) => c.value === 'validation') && codes.some((c) => c.value === 'internal'),
      'the scan is broken',
    );
    assert.deepEqual(
      missing(codes, (c) => ['title', 'detail', 'about'].map((p) => `problems.${c}.${p}`)),
      [],
    );
  });

  test('every field message used exists', () => {
    const messages = [
      // errors.add('field', 'message'…) — Set.add never takes a second string argument.
      ...uses(/\.add\(\s*(?:'[^']*'|`[^`]*`|[\w.]+)\s*,\s*'([^']+)'/g),
      // Literal field errors: { field: …, message: 'x' }.
      ...uses(/field:\s*[^,}]+,\s*message:\s*'([^']+)'/g),
      // Schema errors mapped in http/problems.ts.
      ...uses(/\?\s*'([a-z-]+)'\s*$/gm).filter((u) => u.where.startsWith('http/problems.ts')),
      ...uses(/:\s*'([a-z-]+)';\s*$/gm).filter((u) => u.where.startsWith('http/problems.ts')),
    ];
    assert.ok(
      messages.some((m) => m.value === 'required') && messages.some((m) => m.value === 'unknown-field'),
      'the scan is broken',
    );
    assert.deepEqual(
      missing(messages, (m) => [`fields.${m}`]),
      [],
    );
  });

  test('every form label used exists', () => {
    const labels = [
      ...uses(/\b(?:input|textarea|select)\(\s*request\s*,\s*\w+\s*,\s*'([^']+)'/g),
      // A field named in an error is shown in the form's error summary with its label.
      ...uses(/\.add\(\s*'([^']+)'\s*,\s*'[^']+'/g),
    ];
    assert.ok(labels.length > 5, 'the scan is broken');
    assert.deepEqual(
      missing(labels, (f) => [`labels.${f}`]),
      [],
    );
  });
});

describe('words and zones in code (issue 15)', () => {
  test('no code picks words, a locale or a separator by testing the language: the catalogues hold them', () => {
    assert.deepEqual(linesMatching(/[!=]==?\s*['"](?:fr|en)['"]|['"](?:fr|en)['"]\s*[!=]==?/), []);
  });

  test('one Language type: no other spelling of the language union', () => {
    assert.deepEqual(linesMatching(/'fr'\s*\|\s*'en'|'en'\s*\|\s*'fr'/), []);
  });

  test('no time zone is written in code: a venue has its own, the node its setting (REZO_TIME_ZONE)', () => {
    const zone = /['"`](?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/\w+/;
    // The setting's default is written once, in config.ts; test fixtures give their venues a zone as data.
    const skip = (file: string) => file === 'config.ts' || /Fixtures\.ts$/.test(file);
    assert.deepEqual(linesMatching(zone, skip), []);
  });

  test('locales, separators and the other language come from the catalogues', () => {
    assert.equal(localeOf('fr'), 'fr-FR');
    assert.equal(localeOf('en'), 'en-GB');
    assert.equal(decimalSeparator('fr'), ',');
    assert.equal(decimalSeparator('en'), '.');
    assert.equal(groupSeparator('fr'), '\u202f');
    assert.equal(groupSeparator('en'), ',');
  });
});

describe('translate', () => {
  test('plural forms follow each language (French 0 and 1 are singular, English 0 is plural)', () => {
    assert.ok(hasKey('home.venues.one') && hasKey('home.venues.other'));
    assert.equal(translate('fr', 'home.venues', { count: 0 }), translate('fr', 'home.venues.one', { count: 0 }));
    assert.equal(translate('fr', 'home.venues', { count: 1 }), translate('fr', 'home.venues.one', { count: 1 }));
    assert.equal(translate('fr', 'home.venues', { count: 2 }), translate('fr', 'home.venues.other', { count: 2 }));
    assert.equal(translate('en', 'home.venues', { count: 0 }), '0 venues');
    assert.equal(translate('en', 'home.venues', { count: 1 }), '1 venue');
    assert.equal(translate('en', 'home.venues', { count: 12 }), '12 venues');
    // Every plural has its .other form (the fallback for every count) in both languages.
    for (const lang of LANGUAGES) {
      for (const key of catalogueKeys(lang).filter((k) => k.endsWith('.one'))) {
        assert.ok(catalogueKeys(lang).includes(key.replace(/\.one$/, '.other')), `${lang}: ${key} has no .other`);
      }
    }
  });

  test('parameters are filled, a missing parameter stays visible, a missing key shows the key', () => {
    const t = translator('en');
    assert.equal(t('problems.too-many-login-links.detail', { minutes: 15 }).includes('15'), true);
    assert.match(t('problems.too-many-login-links.detail'), /\{minutes\}/);
    assert.equal(t('no.such.key'), 'no.such.key');
  });
});

describe('negotiateLanguage', () => {
  const cases: [string | undefined, Language, Language][] = [
    [undefined, 'fr', 'fr'],
    [undefined, 'en', 'en'],
    ['', 'en', 'en'],
    ['en', 'fr', 'en'],
    ['en-GB,en;q=0.9', 'fr', 'en'],
    ['fr-FR,fr;q=0.9,en;q=0.8', 'en', 'fr'],
    ['de-DE,de;q=0.9,en;q=0.5,fr;q=0.4', 'fr', 'en'],
    ['fr;q=0.2,en;q=0.8', 'fr', 'en'],
    ['de, es', 'en', 'en'],
    ['*', 'fr', 'fr'],
    ['EN-us', 'fr', 'en'],
    ['fr;q=abc, en;q=0.1', 'fr', 'en'],
  ];
  for (const [header, fallback, expected] of cases) {
    test(`${JSON.stringify(header)} with fallback ${fallback} → ${expected}`, () => {
      assert.equal(negotiateLanguage(header, fallback), expected);
    });
  }
});
