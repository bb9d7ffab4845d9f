import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The languages of the catalogues: the one list, and the one type every module uses for a language. */
export const LANGUAGES = ['fr', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export type Params = Record<string, string | number>;
export type Translate = (key: string, params?: Params) => string;

/**
 * Catalogues are JSON files, one per module and language: src/i18n/<lang>/<module>.json, each a flat
 * object of dotted keys. They are merged at load; a key defined twice is an error, so two modules
 * cannot silently overwrite each other's words.
 */
function loadCatalogue(lang: Language): Map<string, string> {
  const dir = fileURLToPath(new URL(`./${lang}/`, import.meta.url));
  const catalogue = new Map<string, string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const entries = JSON.parse(readFileSync(dir + file, 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(entries)) {
      if (typeof value !== 'string') throw new Error(`i18n ${lang}/${file}: "${key}" is not a string`);
      if (catalogue.has(key)) throw new Error(`i18n ${lang}/${file}: "${key}" is defined twice`);
      catalogue.set(key, value);
    }
  }
  return catalogue;
}

const catalogues = new Map<Language, Map<string, string>>(LANGUAGES.map((l) => [l, loadCatalogue(l)]));

export function catalogueKeys(lang: Language): string[] {
  return [...catalogues.get(lang)!.keys()];
}

export function hasKey(key: string): boolean {
  return catalogues.get('fr')!.has(key);
}

const pluralRules = new Map(LANGUAGES.map((l) => [l, new Intl.PluralRules(l)]));

/**
 * Looks a key up in the language, then in French (the reference catalogue). A missing key shows the
 * key itself, never an empty string, and the catalogue test fails on it. A `count` param selects
 * `<key>.one` / `<key>.other` when those exist.
 */
export function translate(lang: Language, key: string, params: Params = {}): string {
  const catalogue = catalogues.get(lang)!;
  let k = key;
  if (typeof params.count === 'number') {
    const form = `${key}.${pluralRules.get(lang)!.select(params.count)}`;
    k = catalogue.has(form) ? form : catalogue.has(`${key}.other`) ? `${key}.other` : key;
  }
  const template = catalogue.get(k) ?? catalogues.get('fr')!.get(k) ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function translator(lang: Language): Translate {
  return (key, params) => translate(lang, key, params);
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** Picks the best language from an Accept-Language header. */
export function negotiateLanguage(header: string | undefined, fallback: Language): Language {
  if (!header) return fallback;
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...rest] = part.trim().split(';');
      const q = rest.find((p) => p.trim().startsWith('q='));
      return { lang: (tag ?? '').trim().slice(0, 2).toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .sort((a, b) => b.q - a.q);
  return (ranked.find((r) => isLanguage(r.lang))?.lang as Language | undefined) ?? fallback;
}

/**
 * The BCP 47 tag that Intl formats dates and numbers with for a language (catalogue key `locale.tag`:
 * fr-FR, en-GB), so views never pick a locale with a test on the language.
 */
export function localeOf(lang: Language): string {
  return translate(lang, 'locale.tag');
}

const numberParts = new Map(
  LANGUAGES.map((l) => [l, new Intl.NumberFormat(localeOf(l)).formatToParts(1234.5)] as const),
);

/** The decimal separator of a language's numbers: "," (fr) or "." (en), from its locale. */
export function decimalSeparator(lang: Language): string {
  return numberParts.get(lang)!.find((p) => p.type === 'decimal')!.value;
}

/** The thousands separator of a language's numbers: a narrow no-break space (fr) or "," (en), from its locale. */
export function groupSeparator(lang: Language): string {
  return numberParts.get(lang)!.find((p) => p.type === 'group')!.value;
}

export function formatDateTime(lang: Language, date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat(localeOf(lang), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(date);
}
