import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One place in the sources that names a table. */
export interface TableReference {
  /** Path from the repository root, with forward slashes. */
  file: string;
  line: number;
  table: string;
  /** How it names it: the Kysely method (`selectFrom`, `innerJoin`…), `sql.table` or `sql` (a template). */
  via: string;
}

/** Kysely methods whose first argument is a table (or a list of tables), `'name'` or `'name as alias'`. */
const TABLE_METHODS = new Set([
  'selectFrom',
  'insertInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'replaceInto',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'fullJoin',
  'crossJoin',
  'innerJoinLateral',
  'leftJoinLateral',
  'crossJoinLateral',
  'table', // sql.table('x')
]);

/** The TypeScript files under `dir`, recursively, as paths from `root`. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(root, path));
    else if (entry.name.endsWith('.ts')) out.push(path.split('\\').join('/'));
  }
  return out.sort();
}

/** The tables each `create table` of the migrations makes, with the migration's file name. */
export function migrationTables(root: string, dir = 'src/db/migrations'): Map<string, string> {
  const tables = new Map<string, string>();
  for (const name of readdirSync(join(root, dir)).sort()) {
    if (!name.endsWith('.sql')) continue;
    const text = readFileSync(join(root, dir, name), 'utf8').replace(/--[^\n]*/g, '');
    for (const m of text.matchAll(/\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)/gi)) {
      tables.set(m[1]!.toLowerCase(), name);
    }
  }
  return tables;
}

/**
 * Every place in `file` that names one of `tables`: the first argument of a Kysely table method
 * (`selectFrom('x')`, `innerJoin('x as y', …)`, `sql.table('x')`), and any whole identifier in the
 * text of an sql`…` template that is a table — outside SQL string literals and comments, not after
 * a dot (`o.orders` is a column) nor after `as` (an alias).
 */
export function tableReferences(
  root: string,
  file: string,
  tables: ReadonlySet<string>,
  text = readFileSync(join(root, file), 'utf8'),
): TableReference[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: (TableReference & { pos: number })[] = [];
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const add = (pos: number, name: string, via: string) => {
    const table = name.trim().split(/\s+/)[0]!.toLowerCase();
    if (tables.has(table)) found.push({ file, line: lineOf(pos), table, via, pos });
  };
  // The literal text of an sql`…` template, part after part: SQL string literals and comments are
  // blanked (a string may span an interpolation: `'${x}'`), identifiers after a dot are columns.
  const scanSqlParts = (parts: ts.Node[]) => {
    let inString = false;
    for (const part of parts) {
      const start = part.getStart(source);
      const raw = part.getText(source);
      let blanked = '';
      for (let i = 0; i < raw.length; i++) {
        const c = raw[i]!;
        if (inString) {
          if (c === "'") inString = false;
          blanked += ' ';
        } else if (c === "'") {
          inString = true;
          blanked += ' ';
        } else if (c === '-' && raw[i + 1] === '-') {
          const end = raw.indexOf('\n', i);
          const stop = end === -1 ? raw.length : end;
          blanked += ' '.repeat(stop - i);
          i = stop - 1;
        } else blanked += c;
      }
      for (const m of blanked.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
        if (blanked[m.index - 1] === '.') continue; // a column: o.orders
        if (/\bas\s+$/i.test(blanked.slice(Math.max(0, m.index - 8), m.index))) continue; // an alias: … as cards
        add(start + m.index, m[0], 'sql');
      }
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const first = node.arguments[0];
      if (TABLE_METHODS.has(method) && first) {
        const via = method === 'table' ? 'sql.table' : method;
        const literals = ts.isArrayLiteralExpression(first) ? [...first.elements] : [first];
        for (const literal of literals) {
          if (ts.isStringLiteral(literal) || ts.isNoSubstitutionTemplateLiteral(literal)) {
            add(literal.getStart(source), literal.text, via);
          }
        }
      }
    }
    if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'sql') {
      const template = node.template;
      const parts: ts.Node[] = ts.isNoSubstitutionTemplateLiteral(template)
        ? [template]
        : [template.head, ...template.templateSpans.map((s) => s.literal)];
      scanSqlParts(parts);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.sort((a, b) => a.pos - b.pos).map(({ pos: _, ...reference }) => reference);
}

/** The module of a file under src/: its first folder (`src/till/x.ts` → `till`), or '' for src/x.ts. */
export function moduleOf(file: string): string {
  const parts = relative('src', file).split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : '';
}
