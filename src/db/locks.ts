import { sql, type RawBuilder } from 'kysely';
import type { Db, Trx } from './database.ts';
import { RetryLater } from '../shared/errors.ts';

/**
 * Every advisory lock of Rezo goes through this module (docs/ARCHITECTURE.md, "Locks"), on the model
 * of pretix's base/services/locking.py:
 * - one enumeration of lock spaces (LOCK_SPACES), each with its number and what it protects;
 * - the keys of one call taken sorted, deduplicated, in ONE statement (alone, or as a CTE of a larger
 *   statement: `locksSql`), so two transactions wanting the same keys queue instead of deadlocking;
 * - a declared rank order (LOCK_ORDER): a transaction takes its spaces in that order, checked at run
 *   time outside production (a lower rank after a higher one throws);
 * - `SET LOCAL lock_timeout` in the same statement: a lock held too long by someone else becomes a
 *   503 `busy` problem with Retry-After instead of a hung request;
 * - transaction-scoped locks only, refused outside a transaction (the migration lock excepted:
 *   session-level, see `MIGRATION_LOCK_KEY`).
 *
 * The key of a lock is `hashtextextended(key, space)` (the space seeds the hash), or for a space with
 * a single lock the space's number itself. No stored state depends on these numbers: only the
 * processes running at the same time must agree, which they do while they run one version. The
 * migration lock and the sealer's keep their numbers across versions (an old and a new process may
 * meet during an upgrade).
 */

/**
 * The lock spaces: number (the hash seed, or the lock itself for a single lock) and what the lock serialises.
 * `single`: one lock for the whole space (no keys).
 */
export const LOCK_SPACES = {
  /** Session-level, taken by `migrate` only: concurrent starts migrate one after the other. Number kept since 0001. */
  migrations: { id: 7_265_001, single: true },
  /** Card imports: one at a time, so the checks against existing cards stay true until commit. */
  cardImport: { id: 7_265_030, single: true },
  /** The ledger's names (`currency:CODE`, `federation:slug`): a second creation of a name is told it is taken. */
  ledgerNames: { id: 7_265_016, single: false },
  /** A federation's settlement writes (key: `settlement:<federation id>`): run, statement, payout, remittance. */
  settlement: { id: 7_265_022, single: false },
  /** Login links of one address (key: lower-case e-mail): the per-address limit cannot be raced past. */
  login: { id: 7_265_031, single: false },
  /** Waiting-list offers of one date (key: date id): one offer at a time across nodes. */
  waitingList: { id: 7_265_032, single: false },
  /** Per-person limits of an event (keys: `eventId:email:…`, `eventId:person:…`): one buyer's orders one at a time. */
  order: { id: 7_265_033, single: false },
  /** One check-in scan (key: `placeId:nonce`): a batch uploaded twice at once is recorded once. */
  checkIn: { id: 7_265_034, single: false },
  /** A till sale's idempotency (key: sale id), taken with the device check: a retry waits, then reads the answer. */
  sale: { id: 7_265_101, single: false },
  /** The ledger's transfer ids (idempotency of a request): the same id never runs twice. */
  transferIds: { id: 7_265_003, single: false },
  /** The ledger's block sealer: one sealing at a time across processes (try-lock). Number kept. */
  sealer: { id: 7_265_014, single: true },
} as const satisfies Record<string, { id: number; single: boolean }>;

export type LockSpace = keyof typeof LOCK_SPACES;

/**
 * The rank order: a transaction takes advisory locks of these spaces in this order (several keys of
 * one space in one call, sorted; the same space again later is allowed). Only the advisory part is
 * checked here; row locks (`for update`) keep the order their modules document (docs/ARCHITECTURE.md,
 * "Locks"): e.g. sale → card rows (by id) → ledger account rows (by id) → the venue's journal head.
 */
export const LOCK_ORDER: readonly LockSpace[] = [
  'migrations',
  'cardImport',
  'ledgerNames',
  'settlement',
  'login',
  'waitingList',
  'order',
  'checkIn',
  'sale',
  'transferIds',
  // Only tried (sealBlocks), never waited for: outside the rank check (see tryLock). Ranked last for
  // the tests that hold it with takeLocks; the sealer's own transaction takes no other advisory lock.
  'sealer',
];

const RANK = new Map(LOCK_ORDER.map((s, i) => [s, i]));

/** Locks to take: keys of one space (none for a `single` space). */
export interface LockKeys {
  space: LockSpace;
  keys?: readonly string[];
}

/** Default of REZO_LOCK_TIMEOUT_MS: how long a transaction waits for a lock before answering 503 `busy`. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;

const settings = { timeoutMs: DEFAULT_LOCK_TIMEOUT_MS, checkOrder: true };

/**
 * Set once at start-up from the configuration (node/node.ts): the lock timeout (0: wait forever) and
 * whether the rank order is checked at run time (everywhere but production). Returns the previous
 * settings (tests restore them).
 */
export function configureLocks(options: { timeoutMs?: number; checkOrder?: boolean }): {
  timeoutMs: number;
  checkOrder: boolean;
} {
  const previous = { ...settings };
  if (options.timeoutMs !== undefined) {
    if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 0) throw new Error('locks: bad timeout');
    settings.timeoutMs = options.timeoutMs;
  }
  if (options.checkOrder !== undefined) settings.checkOrder = options.checkOrder;
  return previous;
}

/** 503 `busy`: a lock stayed held by another request past the lock timeout; try again shortly. */
export const busy = () => new RetryLater('busy', 503, Math.max(1, Math.ceil(settings.timeoutMs / 1000)));

/** Is this PostgreSQL's `lock_not_available` (55P03: lock_timeout ran out, or NOWAIT refused)? */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '55P03';
}

/** The highest rank taken so far by each transaction (objects of Kysely's Transaction). */
const highest = new WeakMap<object, { rank: number; space: LockSpace }>();

function requireTransaction(db: Db, what: string): asserts db is Trx {
  if (!db.isTransaction) throw new Error(`locks: ${what} outside a transaction`);
}

/** Transactions whose rank order is not checked (`outsideLockOrder`). */
const unordered = new WeakSet<object>();

/**
 * Exempts one transaction from the rank check: for a transaction that does, alone, the work of many
 * requests in a row (the demo's loading, on a new node: ledger transfers, then a settlement run, then
 * a card import…). Its locks are still sorted per call, timed out and transaction-scoped.
 */
export function outsideLockOrder(trx: Db): void {
  requireTransaction(trx, 'outsideLockOrder');
  unordered.add(trx);
}

/** Records the ranks a transaction takes; throws when one is lower than a rank it already holds. */
function checkRank(trx: Trx, spaces: LockSpace[]): void {
  if (!settings.checkOrder || spaces.length === 0 || unordered.has(trx)) return;
  const ranks = spaces.map((s) => RANK.get(s)!);
  const low = Math.min(...ranks);
  const held = highest.get(trx);
  if (held && low < held.rank)
    throw new Error(`locks: ${LOCK_ORDER[low]} taken after ${held.space} (docs/ARCHITECTURE.md, "Locks")`);
  const high = Math.max(...ranks);
  if (!held || high > held.rank) highest.set(trx, { rank: high, space: LOCK_ORDER[high]! });
}

/** The keys of these requests, sorted by rank then key, deduplicated: the order they are taken in. */
function plan(requests: readonly LockKeys[]): { spaces: number[]; keys: (string | null)[]; names: LockSpace[] } {
  const all = new Map<string, { space: LockSpace; key: string | null }>();
  for (const r of requests) {
    const def = LOCK_SPACES[r.space];
    if (!def) throw new Error(`locks: unknown space ${String(r.space)}`);
    if (def.single) {
      if (r.keys && r.keys.length > 0) throw new Error(`locks: ${r.space} has no keys`);
      all.set(`${r.space}\n`, { space: r.space, key: null });
    } else {
      for (const key of r.keys ?? []) all.set(`${r.space}\n${key}`, { space: r.space, key });
    }
  }
  const sorted = [...all.values()].sort(
    (a, b) => RANK.get(a.space)! - RANK.get(b.space)! || (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0),
  );
  return {
    spaces: sorted.map((l) => LOCK_SPACES[l.space].id),
    keys: sorted.map((l) => l.key),
    names: [...new Set(sorted.map((l) => l.space))],
  };
}

/**
 * The statement that takes these locks (sorted, deduplicated) after setting the transaction's
 * lock_timeout, to run alone (`takeLocks`) or as a CTE of a larger statement (one round trip fewer:
 * a device check takes its idempotency locks with its nonce). It returns one row per lock. Whoever
 * reads what the locks protect must do it in a LATER statement, whose snapshot is taken once the locks
 * are held. Checks, when built, that `trx` is a transaction and the rank order.
 *
 * The lock function sits in the select list, evaluated after ORDER BY (PostgreSQL evaluates volatile
 * output expressions after the sort): the FROM list, with the set_config, is read in full first.
 */
export function locksSql(trx: Db, ...requests: LockKeys[]): RawBuilder<unknown> {
  requireTransaction(trx, 'a lock');
  const { spaces, keys, names } = plan(requests);
  checkRank(trx, names);
  return sql`select pg_advisory_xact_lock(case when u.key is null then u.space else hashtextextended(u.key, u.space) end)
    from (select set_config('lock_timeout', ${String(settings.timeoutMs)}, true)) as timeout,
      unnest(${spaces}::bigint[], ${keys}::text[]) with ordinality as u(space, key, n)
    order by u.n`;
}

/** Takes these locks in one statement, until the end of the transaction; 503 `busy` after the lock timeout. */
export async function takeLocks(trx: Db, ...requests: LockKeys[]): Promise<void> {
  const statement = locksSql(trx, ...requests);
  try {
    await statement.execute(trx);
  } catch (error) {
    throw isLockTimeout(error) ? busy() : error;
  }
}

/**
 * Tries the lock of a single-lock space without waiting (the sealer): true when this transaction now
 * holds it, false when another does. Outside the rank check: a lock that is never waited for cannot
 * close a cycle of waits, so it may be tried at any point (the demo seals in the middle of the
 * transaction that loads it) — provided its space is only ever tried (takeLocks on it: tests only).
 */
export async function tryLock(trx: Db, space: LockSpace): Promise<boolean> {
  requireTransaction(trx, 'a lock');
  const def = LOCK_SPACES[space];
  if (!def.single) throw new Error(`locks: tryLock takes a single-lock space, not ${space}`);
  const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${def.id}::bigint) as ok`.execute(trx);
  return rows[0]?.ok === true;
}

/**
 * The key of the session-level migration lock (`pg_advisory_lock`), the one lock held outside a
 * transaction: migrations run several transactions under it. Kept at 7265001 across versions.
 */
export const MIGRATION_LOCK_KEY = LOCK_SPACES.migrations.id;
