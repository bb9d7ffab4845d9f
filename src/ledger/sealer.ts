import { sql } from 'kysely';
import type { Logger } from 'pino';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { tryLock } from '../db/locks.ts';
import { MAX_SUPPLY_MINOR } from '../shared/money.ts';
import { GENESIS_HASH, blockHash, blockTransfersHash, type BlockFields } from './chain.ts';

/**
 * The sealer (docs/LEDGER.md, "Hash chain: blocks sealed by one sealer"). Transfers commit with their
 * own hash and a row in `ledger_unsealed`; sealing moves them, per currency, into the next block:
 * the block row (number = previous + 1, previous block's hash, hash over its transfers' hashes in
 * order, supply after it), one `ledger_block_transfers` row per transfer, and the deletion of their
 * queue rows — all in ONE transaction, so a block and its contents commit together or not at all.
 *
 * Exactly one sealer works at a time, on any number of node processes: the transaction starts with
 * the sealer's lock (`tryLock(trx, 'sealer')`, db/locks.ts); whoever does not get it returns at once. The primary key
 * (currency, number) is the backstop: two blocks with one number cannot both commit.
 */

/** How often a node's sealer runs when idle: a committed transfer stays unsealed at most this long plus one sealing. */
export const SEAL_INTERVAL_MS = 500;
/**
 * How often it runs while transfers keep coming (the last round sealed some): small blocks often
 * rather than one large block every half second — a transfer is sealed within about 0.1 s under
 * traffic, and each round is a small burst of work instead of a large one (bench:ledger at 500/s:
 * no clear change of the p99 either way, docs/PERFORMANCE.md).
 */
export const SEAL_BUSY_INTERVAL_MS = 100;
/** Most transfers of one currency sealed per round (the next round follows at once when more are waiting). */
const MAX_PER_ROUND = 20_000;
/** A currency that keeps failing is logged at most this often (at once the first time). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

export interface SealedBlock {
  currencyId: string;
  currencyCode: string;
  number: number;
  hash: string;
  transferCount: number;
  lastPosition: number;
  supply: number;
}

/** A currency this round could not seal: its transfers stay queued, the other currencies are sealed. */
export interface SealFailure {
  currencyId: string;
  currencyCode: string;
  error: string;
  /** The error itself, for the log. */
  cause: unknown;
}

export interface SealResult {
  /** False when another sealer held the lock: this call sealed nothing. */
  sealer: boolean;
  blocks: SealedBlock[];
  /** True when the round stopped at MAX_PER_ROUND transfers of a currency with more waiting. */
  more: boolean;
  /** Currencies whose block could not be made this round (docs/LEDGER.md): logged by the node's sealer. */
  failed: SealFailure[];
}

/** A queued transfer as read by the sealer: the amount as text, so one value beyond 2^53 cannot fail the read. */
interface QueuedRow {
  transfer_id: string;
  currency_id: string;
  hash: string;
  phase: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
}

interface HeadRow {
  currency_id: string;
  code: string;
  legacy_position: string | null;
  legacy_hash: string | null;
  issuance: string | null;
  number: string | null;
  hash: string | null;
  last_position: string | null;
  supply: string | null;
}

const MAX_SUPPLY = BigInt(MAX_SUPPLY_MINOR);

/** An exact integer read as text, as a number; throws when it is not one or is beyond 2^53. */
function exact(text: string, what: string): number {
  const value = Number(text);
  if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(value)) throw new RangeError(`${what} is not exact: ${text}`);
  return value;
}

/**
 * Seals every transfer committed and not yet sealed (one block per currency that has some). A currency
 * whose block cannot be made is left in the queue and returned in `failed`; the others are sealed in
 * the same transaction (docs/LEDGER.md, "A currency that cannot be sealed does not stop the others").
 * A database error on one currency's writes rolls the round back; it is then run again with each
 * currency's writes in a savepoint of its own, so only the failing currency is left out.
 */
export async function sealBlocks(db: Db, options: { now?: Date; maxTransfers?: number } = {}): Promise<SealResult> {
  try {
    return await sealRound(db, options, false);
  } catch {
    // Which currency failed is known only inside the round: run it again, each currency isolated.
    return sealRound(db, options, true);
  }
}

async function sealRound(
  db: Db,
  options: { now?: Date; maxTransfers?: number },
  isolate: boolean,
): Promise<SealResult> {
  const limit = options.maxTransfers ?? MAX_PER_ROUND;
  return inTransaction(db, async (trx) => {
    if (!(await tryLock(trx, 'sealer'))) return { sealer: false, blocks: [], more: false, failed: [] };
    // Read after the lock (a new statement, so a new snapshot): a sealer that committed just before
    // has its queue rows deleted and its blocks visible here. At most `limit` (+1, to know whether
    // more wait) per currency: a currency that cannot be sealed never crowds the others out.
    const queued = (
      await sql<QueuedRow>`
      select q.transfer_id, q.currency_id, t.hash, t.phase, t.debit_account_id, t.credit_account_id, t.amount::text as amount
      from (select distinct currency_id from ledger_unsealed) c
      cross join lateral (select u.transfer_id, u.currency_id, u.seq from ledger_unsealed u
        where u.currency_id = c.currency_id order by u.seq limit ${limit + 1}) q
      join ledger_transfers t on t.id = q.transfer_id
      order by q.currency_id, q.seq`.execute(trx)
    ).rows;
    if (queued.length === 0) return { sealer: true, blocks: [], more: false, failed: [] };
    let more = false;
    const byCurrency = new Map<string, QueuedRow[]>();
    for (const row of queued) {
      const list = byCurrency.get(row.currency_id) ?? [];
      if (list.length === limit) {
        more = true;
        continue;
      }
      list.push(row);
      byCurrency.set(row.currency_id, list);
    }
    const currencyIds = [...byCurrency.keys()];
    // Numbers as text too: a supply already beyond 2^53 (a database from before the bound) fails its
    // currency only, not this read.
    const heads = new Map(
      (
        await sql<HeadRow>`
      select c.id as currency_id, c.code, h.position::text as legacy_position, h.hash as legacy_hash,
        (select a.id from ledger_accounts a where a.currency_id = c.id and a.owner_kind = 'system' and a.owner_ref = 'issuance') as issuance,
        b.number::text as number, b.hash, b.last_position::text as last_position, b.supply::text as supply
      from ledger_currencies c
      left join ledger_chain_heads h on h.currency_id = c.id
      left join lateral (select number, hash, last_position, supply from ledger_blocks where currency_id = c.id order by number desc limit 1) b on true
      where c.id = any(${currencyIds}::uuid[])`.execute(trx)
      ).rows.map((r) => [r.currency_id, r]),
    );

    const sealedAt = options.now ?? new Date();
    const blocks: SealedBlock[] = [];
    const failed: SealFailure[] = [];
    const sealed: string[] = [];
    for (const [currencyId, rows] of byCurrency) {
      const head = heads.get(currencyId);
      const fail = (cause: unknown) =>
        failed.push({
          currencyId,
          currencyCode: head?.code ?? currencyId,
          error: cause instanceof Error ? cause.message : String(cause),
          cause,
        });
      if (isolate) await sql`savepoint seal_currency`.execute(trx);
      try {
        if (!head) throw new PlanError(new Error(`unsealed transfer of unknown currency ${currencyId}`));
        const block = await planBlock(trx, head, rows, sealedAt);
        await writeBlock(trx, currencyId, block, rows);
        if (isolate) await sql`release savepoint seal_currency`.execute(trx);
        sealed.push(...rows.map((r) => r.transfer_id));
        blocks.push({
          currencyId,
          currencyCode: head.code,
          number: block.number,
          hash: block.hash,
          transferCount: rows.length,
          lastPosition: block.lastPosition,
          supply: block.supply,
        });
      } catch (cause) {
        // Outside a savepoint only errors raised before any write of this currency can be caught
        // here (planBlock's); a database error aborts the transaction and the round is run again isolated.
        if (isolate) await sql`rollback to savepoint seal_currency`.execute(trx);
        else if (!(cause instanceof PlanError)) throw cause;
        fail(cause instanceof PlanError ? cause.cause : cause);
      }
    }
    if (sealed.length > 0)
      await sql`delete from ledger_unsealed where transfer_id = any(${sealed}::uuid[])`.execute(trx);
    return { sealer: true, blocks, more, failed };
  });
}

/** A block that cannot be computed (before anything is written): its currency is skipped. */
class PlanError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

interface PlannedBlock extends BlockFields {
  hash: string;
}

/** Block n + 1 of a currency: numbers and the supply computed exactly; beyond the bound → PlanError. */
async function planBlock(trx: Trx, head: HeadRow, rows: QueuedRow[], sealedAt: Date): Promise<PlannedBlock> {
  let supply: bigint;
  let number: number;
  let prevHash: string;
  let firstPosition: number;
  try {
    if (head.number === null) {
      // First block: it continues the legacy chain (frozen by migration 0014), whose supply is
      // computed from the legacy transfers themselves.
      supply = head.issuance ? await legacySupply(trx, head.currency_id, head.issuance) : 0n;
      number = 1;
      prevHash = head.legacy_hash ?? GENESIS_HASH;
      firstPosition = (head.legacy_position === null ? 0 : exact(head.legacy_position, 'legacy position')) + 1;
    } else {
      supply = BigInt(head.supply!);
      number = exact(head.number, 'block number') + 1;
      prevHash = head.hash!;
      firstPosition = exact(head.last_position!, 'block position') + 1;
    }
    for (const r of rows) {
      exact(r.amount, `amount of transfer ${r.transfer_id}`);
      if (r.phase !== 'single' && r.phase !== 'post') continue;
      if (r.debit_account_id === head.issuance) supply += BigInt(r.amount);
      if (r.credit_account_id === head.issuance) supply -= BigInt(r.amount);
    }
    if (supply > MAX_SUPPLY || supply < -MAX_SUPPLY)
      throw new RangeError(`supply ${supply} of ${head.code} beyond MAX_SUPPLY_MINOR`);
  } catch (cause) {
    throw new PlanError(cause);
  }
  const block = {
    currencyCode: head.code,
    number,
    prevHash,
    firstPosition,
    lastPosition: firstPosition + rows.length - 1,
    transferCount: rows.length,
    transfersHash: blockTransfersHash(rows.map((r) => r.hash)),
    supply: Number(supply),
    sealedAt,
  };
  return { ...block, hash: blockHash(block) };
}

/** The block row, then its transfers' rows (by chunks). */
async function writeBlock(trx: Trx, currencyId: string, block: PlannedBlock, rows: QueuedRow[]): Promise<void> {
  await trx
    .insertInto('ledger_blocks')
    .values({
      currency_id: currencyId,
      number: block.number,
      prev_hash: block.prevHash,
      hash: block.hash,
      transfers_hash: block.transfersHash,
      transfer_count: rows.length,
      first_position: block.firstPosition,
      last_position: block.lastPosition,
      first_transfer_id: rows[0]!.transfer_id,
      last_transfer_id: rows[rows.length - 1]!.transfer_id,
      supply: block.supply,
      sealed_at: block.sealedAt,
    })
    .execute();
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000);
    await sql`insert into ledger_block_transfers (transfer_id, currency_id, block_number, index)
      select u.id, ${currencyId}::uuid, ${block.number}::bigint, (u.n - 1 + ${i})::int
      from unnest(${chunk.map((r) => r.transfer_id)}::uuid[]) with ordinality as u(id, n)`.execute(trx);
  }
}

/** −balance(issuance) after the legacy chain (the transfers with a chain position), exactly. */
async function legacySupply(trx: Db, currencyId: string, issuance: string): Promise<bigint> {
  const r = await sql<{ supply: string | null }>`
    select sum(case when debit_account_id = ${issuance}::uuid then amount else -amount end)::text as supply
    from ledger_transfers
    where currency_id = ${currencyId}::uuid and position is not null and phase in ('single', 'post')
      and (debit_account_id = ${issuance}::uuid or credit_account_id = ${issuance}::uuid)`.execute(trx);
  return BigInt(r.rows[0]?.supply ?? 0);
}

/**
 * The node's sealer: seals every SEAL_INTERVAL_MS when idle, every SEAL_BUSY_INTERVAL_MS after a round
 * that sealed something (again at once while a round was full), then lets
 * `afterSeal` run (checkpoints). On several node processes each runs one; the advisory lock lets
 * one seal at a time. `stop()` waits for the round in flight.
 */
export function startSealer(
  db: Db,
  logger: Logger,
  options: { intervalMs?: number; busyIntervalMs?: number; afterSeal?: (blocks: SealedBlock[]) => Promise<void> } = {},
) {
  const intervalMs = options.intervalMs ?? SEAL_INTERVAL_MS;
  const busyIntervalMs = Math.min(intervalMs, options.busyIntervalMs ?? SEAL_BUSY_INTERVAL_MS);
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  /** Whether the last round sealed anything: then the next one comes sooner. */
  let busy = false;
  /** One round; false when another sealer held the lock (this round sealed nothing). */
  /** Currencies failing, with when their failure was last logged (at most once a minute each). */
  const failing = new Map<string, number>();
  const report = (result: SealResult) => {
    const now = Date.now();
    for (const f of result.failed) {
      const last = failing.get(f.currencyId);
      if (last !== undefined && now - last < FAILURE_LOG_INTERVAL_MS) continue;
      failing.set(f.currencyId, now);
      logger.error(
        { err: f.cause, currency: f.currencyCode, currencyId: f.currencyId },
        'ledger sealing failed for this currency; its transfers stay queued, the other currencies go on',
      );
    }
    for (const b of result.blocks) {
      if (!failing.delete(b.currencyId)) continue;
      logger.info({ currency: b.currencyCode, currencyId: b.currencyId, block: b.number }, 'ledger sealing resumed');
    }
  };
  const round = async (): Promise<boolean> => {
    let sealed = false;
    let held = true;
    try {
      for (;;) {
        const result = await sealBlocks(db);
        if (!result.sealer) held = false;
        report(result);
        if (result.blocks.length > 0) sealed = true;
        if (result.blocks.length > 0 && options.afterSeal) await options.afterSeal(result.blocks);
        if (!result.more || stopped) break;
      }
    } catch (err) {
      logger.error({ err }, 'ledger sealing failed');
    }
    busy = sealed;
    return held;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = round().finally(() => {
          running = null;
          schedule();
        });
      },
      busy ? busyIntervalMs : intervalMs,
    );
    timer.unref();
  };
  schedule();
  return {
    /** Seals everything committed so far (tests, before a verification, at stop); restarts the timer. */
    async sealNow(): Promise<void> {
      // Until a round of its own held the lock: the node's timer (or another process) may start one
      // in between, and that round's lock makes ours seal nothing. Gives up after about 5 s.
      for (let attempt = 0; attempt < 500; attempt++) {
        if (running) await running;
        if (await round()) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      // The cadence follows this round too: after a round that sealed, the next comes soon.
      if (!stopped && !running) {
        if (timer) clearTimeout(timer);
        schedule();
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}

export type Sealer = ReturnType<typeof startSealer>;
