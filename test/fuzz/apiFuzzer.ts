/**
 * An API fuzzer driven by the node's own OpenAPI document: for every operation it generates valid
 * inputs from the documented schemas and mutated ones (wrong types, missing fields, huge and float
 * numbers, NUL and lone surrogates, 5,000-character strings, markup, `../`, malformed bodies), sends
 * them as an API key of one venue or anonymously, and checks each answer against the document:
 * no 5xx, a documented status, a body valid for that status's schema (Ajv), errors as RFC 9457
 * problems under application/problem+json, and no row written by a refused request.
 * Generation is seeded (fast-check): the same seed replays the same requests on the same world.
 */
import fc from 'fast-check';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { sql } from 'kysely';
import type { App } from '../../src/http/app.ts';
import type { Db } from '../../src/db/database.ts';

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | Schema;
  $ref?: string;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

interface MediaType {
  schema?: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: Schema | null;
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content: Record<string, MediaType> };
        responses: Operation['responses'];
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

/** The operations of the document, in a stable order (so that a seed replays the same run). */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const path of Object.keys(doc.paths).sort())
    for (const method of Object.keys(doc.paths[path]!).sort()) {
      const op = doc.paths[path]![method]!;
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema ?? null,
        responses: op.responses,
      });
    }
  return out;
}

/** Values that exist in the world, by the name of the parameter or field that takes them. */
export type Known = Record<string, string[]>;

// ---------------------------------------------------------------- generation

const MARKUP = '<script>alert(1)</script><img src=x onerror=alert(1)>"\'&';
const LONG = 'é'.repeat(5000);
const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const TRAVERSAL = '../../../../etc/passwd';
const STRANGE_STRINGS = [NUL, LONE_SURROGATE, LONG, MARKUP, TRAVERSAL, '', ' ', '%00', '${7*7}', "' or 1=1 --"];
const STRANGE_NUMBERS = [1e308, -1e308, 2 ** 53, -(2 ** 53), 0.5, -1.5, 1e21, -0, 2 ** 31, -(2 ** 63)];

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  const minLength = Math.min(schema.minLength ?? 0, maxLength);
  switch (schema.format) {
    case 'uuid':
      return fc.uuid({ version: 7 });
    case 'date-time':
      return fc
        .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress().filter((e) => e.length <= maxLength && e.length >= minLength);
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= maxLength);
  // Mostly printable ASCII (what forms carry), sometimes any Unicode.
  return fc.oneof(
    { arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme-ascii' }), weight: 3 },
    { arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }), weight: 1 },
  );
}

/** An arbitrary of values valid for `schema` (as far as a schema says: the rules behind it may still refuse them). */
export function valueArbitrary(schema: Schema | undefined, known: Known, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.constant(null);
  const inner = (): fc.Arbitrary<unknown> => {
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const union = schema.anyOf ?? schema.oneOf;
    if (union) return fc.oneof(...union.map((s) => valueArbitrary(s, known, name, depth + 1)));
    if (schema.allOf?.length === 1) return valueArbitrary(schema.allOf[0], known, name, depth + 1);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'string': {
        const generated = stringArbitrary(schema);
        const pool = known[name];
        // Known values (the venue's slug, an event's id…) reach the rules behind the schema.
        return pool?.length ? fc.oneof({ arbitrary: fc.constantFrom(...pool), weight: 3 }, generated) : generated;
      }
      case 'integer': {
        const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
        const max = typeof schema.maximum === 'number' ? schema.maximum : Math.max(min + 100_000, 100_000);
        const range = { min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) };
        // Small counts and amounts are what most rules accept; the whole range now and then.
        const small = { min: Math.max(range.min, 0), max: Math.min(range.max, 2000) };
        return small.min <= small.max
          ? fc.oneof({ arbitrary: fc.integer(small), weight: 3 }, { arbitrary: fc.integer(range), weight: 1 })
          : fc.integer(range);
      }
      case 'number':
        return fc.double({
          min: typeof schema.minimum === 'number' ? schema.minimum : -1e6,
          max: typeof schema.maximum === 'number' ? schema.maximum : 1e6,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(valueArbitrary(schema.items, known, name, depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
        });
      case 'object':
      case undefined: {
        if (!schema.properties) return type === 'object' ? fc.constant({}) : fc.jsonValue({ maxDepth: 2 });
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, prop] of Object.entries(schema.properties))
          record[key] = valueArbitrary(prop, known, key, depth + 1);
        const required = (schema.required ?? []).filter((k) => k in record);
        const minimal = Object.fromEntries(required.map((k) => [k, record[k]!]));
        // The required fields alone pass the rules behind the schema more often than a full random record.
        return fc.oneof(fc.record(minimal), fc.record(record, { requiredKeys: required }));
      }
      default:
        return fc.jsonValue({ maxDepth: 1 });
    }
  };
  const value = inner();
  return schema.nullable ? fc.option(value, { nil: null, freq: 8 }) : value;
}

/** How a valid request is spoilt; `pick` chooses the field or parameter it lands on. */
export type Mutation =
  | {
      where: 'body';
      kind: 'drop-required' | 'wrong-type' | 'unknown-field' | 'number' | 'string';
      pick: number;
      n: number;
    }
  | { where: 'body'; kind: 'replace'; pick: number; n: number }
  | { where: 'raw'; kind: 'malformed' | 'text' | 'deep' | 'form'; pick: number; n: number }
  | { where: 'path' | 'query'; kind: 'string' | 'unknown-id' | 'number'; pick: number; n: number };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    where: fc.constant('body' as const),
    kind: fc.constantFrom(
      'drop-required',
      'wrong-type',
      'unknown-field',
      'number',
      'string',
      'replace',
    ) as fc.Arbitrary<'drop-required' | 'wrong-type' | 'unknown-field' | 'number' | 'string'>,
    pick: fc.nat(),
    n: fc.nat(),
  }),
  fc.record({
    where: fc.constant('raw' as const),
    kind: fc.constantFrom('malformed', 'text', 'deep', 'form') as fc.Arbitrary<'malformed' | 'text' | 'deep' | 'form'>,
    pick: fc.nat(),
    n: fc.nat(),
  }),
  fc.record({
    where: fc.constantFrom('path', 'query') as fc.Arbitrary<'path' | 'query'>,
    kind: fc.constantFrom('string', 'unknown-id', 'number') as fc.Arbitrary<'string' | 'unknown-id' | 'number'>,
    pick: fc.nat(),
    n: fc.nat(),
  }),
);

export interface Case {
  auth: 'key' | 'anonymous';
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  mutation: Mutation | null;
}

/** Valid cases one time in three, mutated ones otherwise; as the venue's key or anonymous. */
export function caseArbitrary(op: Operation, known: Known): fc.Arbitrary<Case> {
  const group = (where: 'path' | 'query') => {
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const p of op.parameters.filter((x) => x.in === where)) {
      record[p.name] = valueArbitrary(p.schema, known, p.name);
      if (p.required || where === 'path') required.push(p.name);
    }
    return fc.record(record, { requiredKeys: required });
  };
  return fc.record({
    auth: fc.constantFrom('key' as const, 'anonymous' as const),
    path: group('path'),
    query: group('query'),
    body: op.body ? valueArbitrary(op.body, known) : fc.constant(undefined),
    mutation: fc.option(mutationArbitrary, { nil: null, freq: 3 }),
  });
}

const at = <T>(list: readonly T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);

function wrongTypeOf(value: unknown, n: number): unknown {
  if (typeof value === 'string') return at([42, true, null, ['x'], { x: 1 }], n);
  if (typeof value === 'number') return at(['42', true, null, [1]], n);
  if (typeof value === 'boolean') return at(['true', 1, null], n);
  if (Array.isArray(value)) return at(['x', { 0: 'x' }, 7], n);
  if (value && typeof value === 'object') return at(['x', [value], 3], n);
  return at(['x', 1, {}], n);
}

/** Applies a body mutation to a copy of the body. */
function mutateBody(body: unknown, schema: Schema | null, m: Mutation): unknown {
  if (m.kind === 'replace') return at([null, [], 'text', 42, {}, true], m.n);
  const copy: Record<string, unknown> =
    body && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
  const fields = Object.keys(schema?.properties ?? {});
  const field = at(fields, m.pick) ?? 'field';
  switch (m.kind) {
    case 'drop-required': {
      const required = schema?.required ?? [];
      delete copy[at(required, m.pick) ?? field];
      return copy;
    }
    case 'wrong-type':
      copy[field] = wrongTypeOf(copy[field] ?? valueTypeHint(schema?.properties?.[field]), m.n);
      return copy;
    case 'unknown-field':
      copy[at(['__proto__x', 'constructor', 'isOperator', 'place_id', '../x'], m.n)!] = 'x';
      return copy;
    case 'number':
      copy[field] = at(STRANGE_NUMBERS, m.n);
      return copy;
    case 'string':
      copy[field] = at(STRANGE_STRINGS, m.n);
      return copy;
  }
  return copy;
}

function valueTypeHint(schema: Schema | undefined): unknown {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  return type === 'integer' || type === 'number' ? 1 : type === 'boolean' ? true : type === 'array' ? [] : 'x';
}

/**
 * Percent-encoding as a sloppy client does it: a lone surrogate (which encodeURIComponent refuses)
 * is sent as the three bytes a WTF-8 encoder makes of it, which are not UTF-8.
 */
function encodeLoose(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value]
      .map((ch) => {
        const code = ch.charCodeAt(0);
        if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff)
          return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
            .map((b) => `%${b.toString(16).toUpperCase()}`)
            .join('');
        return encodeURIComponent(ch);
      })
      .join('');
  }
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** The HTTP request of a case: path and query encoded, the mutation applied, the key's header. */
export function requestOf(op: Operation, c: Case, key: string): FuzzRequest {
  const m = c.mutation;
  const pathValues: Record<string, string> = Object.fromEntries(
    Object.entries(c.path).map(([k, v]) => [k, encodeLoose(String(v))]),
  );
  const query = { ...c.query };
  if (m && (m.where === 'path' || m.where === 'query')) {
    const names = Object.keys(m.where === 'path' ? pathValues : op.parameters.filter((p) => p.in === 'query'));
    const queryNames = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    const name = at(m.where === 'path' ? names : queryNames, m.pick);
    const value =
      m.kind === 'string'
        ? at(STRANGE_STRINGS, m.n)!
        : m.kind === 'number'
          ? String(at(STRANGE_NUMBERS, m.n))
          : at(['0190f3a0-0000-7000-8000-000000000000', 'not-an-id', '..', '%zz', '%ED%A0%80'], m.n)!;
    if (name && m.where === 'path') pathValues[name] = /^%/.test(value) ? value : encodeLoose(value);
    else if (name) query[name] = value;
  }
  let url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathValues[name] ?? 'x');
  const search: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      const text = typeof item === 'object' ? JSON.stringify(item) : String(item);
      // A value that is itself a percent sequence ("%zz") is sent as is: malformed on purpose.
      search.push(`${encodeLoose(k)}=${/^%/.test(text) ? text : encodeLoose(text)}`);
    }
  }
  if (search.length > 0) url += `?${search.join('&')}`;
  const headers: Record<string, string> = c.auth === 'key' ? { authorization: `Bearer ${key}` } : {};
  const request: FuzzRequest = { method: op.method, url, headers };
  const hasBody = op.body !== null || (m?.where === 'raw' && op.method !== 'GET');
  if (!hasBody) return request;
  if (m?.where === 'raw') {
    const raw = {
      malformed: { type: 'application/json', payload: at(['{"a":', '{"a":1}}', "{'a':1}", '\u0000', '[1,]'], m.n)! },
      text: { type: 'text/plain', payload: 'hello' },
      deep: { type: 'application/json', payload: '['.repeat(5000) + ']'.repeat(5000) },
      form: { type: 'application/x-www-form-urlencoded', payload: 'a=1&b=%00' },
    }[m.kind];
    return { ...request, headers: { ...headers, 'content-type': raw.type }, payload: raw.payload };
  }
  const body = m?.where === 'body' ? mutateBody(c.body, op.body, m) : c.body;
  return {
    ...request,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(body === undefined ? {} : body),
  };
}

// ---------------------------------------------------------------- checks

/** Validators of the documented answers, with the document's components for its $refs. */
export function responseValidators(doc: OpenApiDocument) {
  const ajv = new Ajv({ strict: false, allErrors: false, formats: { der: true, pem: true, jwk: true } });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components ?? {} });
  const cache = new Map<Schema, ValidateFunction>();
  const withRefs = (schema: Schema): Schema =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as Schema;
  return (schema: Schema): ValidateFunction => {
    let v = cache.get(schema);
    if (!v) {
      v = ajv.compile(withRefs(schema));
      cache.set(schema, v);
    }
    return v;
  };
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** What is wrong with an answer, as one line each (none when it is as documented). */
export function checkAnswer(
  op: Operation,
  answer: Answer,
  validator: (schema: Schema) => ValidateFunction,
  baseUrl: string,
): string[] {
  const problems: string[] = [];
  const status = answer.statusCode;
  if (status >= 500) problems.push(`5xx: ${status} ${answer.body.slice(0, 200)}`);
  const documented = op.responses[String(status)];
  if (!documented) {
    problems.push(`undocumented status ${status}: ${answer.body.slice(0, 200)}`);
    return problems;
  }
  const mediaType = String(answer.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (status >= 400 && mediaType !== 'application/problem+json')
    problems.push(`error ${status} sent as ${mediaType || 'no content type'}`);
  const content = documented.content;
  if (!content || status === 204) {
    if (answer.body.length > 0 && status === 204) problems.push(`204 with a body`);
    return problems;
  }
  const media = content[mediaType];
  if (!media) {
    problems.push(`status ${status} sent as ${mediaType}, documented as ${Object.keys(content).join(', ')}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    problems.push(`status ${status}: the body is not JSON`);
    return problems;
  }
  if (media.schema) {
    const validate = validator(media.schema);
    if (!validate(body))
      problems.push(
        `status ${status}: body does not match its schema: ${JSON.stringify(validate.errors?.slice(0, 2))}`,
      );
  }
  if (status >= 400) {
    const p = body as Record<string, unknown>;
    if (
      typeof p.type !== 'string' ||
      !p.type.startsWith(`${baseUrl}/problems/`) ||
      typeof p.title !== 'string' ||
      typeof p.detail !== 'string' ||
      p.status !== status
    )
      problems.push(`status ${status}: not an RFC 9457 problem of this node: ${answer.body.slice(0, 200)}`);
  }
  return problems;
}

// ---------------------------------------------------------------- writes

/**
 * Tables the node's own background work writes into while requests come (the ledger's sealer; the
 * federation's availability check, woken by seats taken or given back, queues Updates to followers;
 * its hourly clean-up of received events parses old rows again and deletes unfollowed ones).
 */
const BACKGROUND_TABLES = new Set([
  'ledger_blocks',
  'ledger_block_transfers',
  'ledger_unsealed',
  'ledger_checkpoints',
  'ledger_log_checkpoints',
  'federation_outbox',
  'federation_remote_events',
]);

/** A function that counts the rows of every table in one statement (a refused request must change none). */
export async function rowCounter(db: Db): Promise<() => Promise<Record<string, number>>> {
  const tables = (
    await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db)
  ).rows
    .map((r) => r.name)
    .filter((name) => !BACKGROUND_TABLES.has(name) && /^[a-z_]+$/.test(name));
  const query = sql.raw(
    `select ${tables.map((name) => `(select count(*) from "${name}")::int as "${name}"`).join(', ')}`,
  );
  return async () => (await sql<Record<string, number>>`${query}`.execute(db)).rows[0]!;
}

export function changedTables(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after)
    .filter((k) => after[k] !== before[k])
    .map((k) => `${k} ${before[k]} → ${after[k]}`);
}

// ---------------------------------------------------------------- the run

export interface FuzzOptions {
  app: App;
  db: Db;
  baseUrl: string;
  /** An API key with every scope of the venue. */
  key: string;
  known: Known;
  seed: number;
  /** Cases per operation. */
  runs: number;
  /** The run stops starting new operations after this long. */
  deadline: number;
  /** Only the operations whose "METHOD /path" contains this (to replay one). */
  only?: string | undefined;
  /** Every request and its answer, one line each (to see what a replay does). */
  trace?: ((line: string) => void) | undefined;
}

export interface FuzzReport {
  operations: number;
  requests: number;
  serverErrors: number;
  mismatches: number;
  writesOnRefusal: number;
  /** One line per failure: the operation, the request and what was wrong (the first ones). */
  failures: string[];
  statuses: Record<string, number>;
  /** Operations none of whose cases succeeded (their rules were never passed: worth better valid inputs). */
  neverSucceeded: string[];
  timedOut: boolean;
}

/** Per-operation seeds from the run's seed, so that one operation can be replayed alone. */
function seedOf(seed: number, op: Operation): number {
  let h = seed >>> 0;
  for (const ch of `${op.method} ${op.path}`) h = (Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0) % 0x7fffffff;
  return h;
}

export async function fuzzApi(doc: OpenApiDocument, options: FuzzOptions): Promise<FuzzReport> {
  const operations = operationsOf(doc);
  const validator = responseValidators(doc);
  const count = await rowCounter(options.db);
  const report: FuzzReport = {
    operations: 0,
    requests: 0,
    serverErrors: 0,
    mismatches: 0,
    writesOnRefusal: 0,
    failures: [],
    statuses: {},
    neverSucceeded: [],
    timedOut: false,
  };
  let rows = await count();
  const shownByKind: Record<string, number> = {};
  for (const op of operations) {
    if (options.only && !`${op.method} ${op.path}`.includes(options.only)) continue;
    if (Date.now() > options.deadline) {
      report.timedOut = true;
      break;
    }
    report.operations++;
    let succeeded = false;
    const cases = fc.sample(caseArbitrary(op, options.known), {
      seed: seedOf(options.seed, op),
      numRuns: options.runs,
    });
    for (const c of cases) {
      const request = requestOf(op, c, options.key);
      const answer = await options.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
      });
      report.requests++;
      options.trace?.(
        `${request.method} ${request.url} ${c.auth} ${(request.payload ?? '').slice(0, 300)}\n  → ${answer.statusCode} ${answer.body.slice(0, 300)}`,
      );
      if (answer.statusCode < 300) succeeded = true;
      report.statuses[answer.statusCode] = (report.statuses[answer.statusCode] ?? 0) + 1;
      const found = checkAnswer(op, answer, validator, options.baseUrl);
      if (answer.statusCode >= 500) report.serverErrors++;
      if (found.some((f) => !f.startsWith('5xx'))) report.mismatches++;
      const after = await count();
      if (answer.statusCode >= 400) {
        const changed = changedTables(rows, after);
        if (changed.length > 0) {
          report.writesOnRefusal++;
          found.push(`refused with ${answer.statusCode} but wrote: ${changed.join(', ')}`);
        }
      }
      rows = after;
      // The first few of each kind: a 5xx, a mismatch, a write.
      const kind = answer.statusCode >= 500 ? '5xx' : found.some((f) => f.startsWith('refused')) ? 'write' : 'mismatch';
      shownByKind[kind] = (shownByKind[kind] ?? 0) + 1;
      if (found.length > 0 && shownByKind[kind] <= 15) {
        const shown =
          request.payload && request.payload.length > 300 ? `${request.payload.slice(0, 300)}…` : request.payload;
        report.failures.push(
          `${op.method} ${op.path} [${c.auth}] ${request.method} ${request.url.slice(0, 200)} ${shown ?? ''}\n    → ${found.join('\n    → ')}`,
        );
      }
    }
    if (!succeeded) report.neverSucceeded.push(`${op.method} ${op.path}`);
  }
  return report;
}
