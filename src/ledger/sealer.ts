import { sql } from 'kysely';
import type { Logger } from 'pino';
import { inTransaction, type Db } from '../db/database.ts';
import { GENESIS_HASH, blockHash, blockTransfersHash } from './chain.ts';

/**
 * The sealer (docs/LEDGER.md, "Hash chain: blocks sealed by one sealer"). Transfers commit with their
 * own hash and a row in `ledger_unsealed`; sealing moves them, per currency, into the next block:
 * the block row (number = previous + 1, previous block's hash, hash over its transfers' hashes in
 * order, supply after it), one `ledger_block_transfers` row per transfer, and the deletion of their
 * queue rows — all in ONE transaction, so a block and its contents commit together or not at all.
 *
 * Exactly one sealer works at a time, on any number of node processes: the transaction starts with
 * `pg_try_advisory_xact_lock(SEALER_LOCK)`; whoever does not get it returns at once. The primary key
 * (currency, number) is the backstop: two blocks with one number cannot both commit.
 */

/** Advisory lock key of the sealer (an arbitrary constant, distinct from the idempotency locks' space). */
export const SEALER_LOCK = 7265014;
/** How often a node's sealer runs when idle: a committed transfer stays unsealed at most this long plus one sealing. */
export const SEAL_INTERVAL_MS = 500;
/**
 * How often it runs while transfers keep coming (the last round sealed some): small blocks often
 * rather than one large block every half second — a transfer is sealed within about 0.1 s under
 * traffic, and each round is a small burst of work instead of a large one (bench:ledger at 500/s:
 * no clear change of the p99 either way, docs/PERFORMANCE.md).
 */
export const SEAL_BUSY_INTERVAL_MS = 100;
/** Most transfers sealed per round (the next round follows at once when more are waiting). */
const MAX_PER_ROUND = 20_000;

export interface SealedBlock {
  currencyId: string;
  currencyCode: string;
  number: number;
  hash: string;
  transferCount: number;
  lastPosition: number;
  supply: number;
}

export interface SealResult {
  /** False when another sealer held the lock: this call sealed nothing. */
  sealer: boolean;
  blocks: SealedBlock[];
  /** True when the round stopped at MAX_PER_ROUND with more waiting. */
  more: boolean;
}

interface QueuedRow {
  transfer_id: string;
  currency_id: string;
  hash: string;
  phase: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: number;
}

/** Seals every transfer committed and not yet sealed (one block per currency that has some). */
export async function sealBlocks(db: Db, options: { now?: Date; maxTransfers?: number } = {}): Promise<SealResult> {
  const limit = options.maxTransfers ?? MAX_PER_ROUND;
  return inTransaction(db, async (trx) => {
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${SEALER_LOCK}) as ok`.execute(trx);
    if (!lock.rows[0]?.ok) return { sealer: false, blocks: [], more: false };
    // Read after the lock (a new statement, so a new snapshot): a sealer that committed just before
    // has its queue rows deleted and its blocks visible here.
    const queued = (
      await sql<QueuedRow>`
      select q.transfer_id, q.currency_id, t.hash, t.phase, t.debit_account_id, t.credit_account_id, t.amount
      from ledger_unsealed q join ledger_transfers t on t.id = q.transfer_id
      order by q.currency_id, q.seq
      limit ${limit + 1}`.execute(trx)
    ).rows;
    const more = queued.length > limit;
    if (more) queued.length = limit;
    if (queued.length === 0) return { sealer: true, blocks: [], more: false };
    const byCurrency = new Map<string, QueuedRow[]>();
    for (const row of queued) {
      const list = byCurrency.get(row.currency_id) ?? [];
      list.push(row);
      byCurrency.set(row.currency_id, list);
    }
    const currencyIds = [...byCurrency.keys()];
    const heads = new Map(
      (
        await sql<{
          currency_id: string;
          code: string;
          legacy_position: number | null;
          legacy_hash: string | null;
          issuance: string | null;
          number: number | null;
          hash: string | null;
          last_position: number | null;
          supply: number | null;
        }>`
      select c.id as currency_id, c.code, h.position as legacy_position, h.hash as legacy_hash,
        (select a.id from ledger_accounts a where a.currency_id = c.id and a.owner_kind = 'system' and a.owner_ref = 'issuance') as issuance,
        b.number, b.hash, b.last_position, b.supply
      from ledger_currencies c
      left join ledger_chain_heads h on h.currency_id = c.id
      left join lateral (select number, hash, last_position, supply from ledger_blocks where currency_id = c.id order by number desc limit 1) b on true
      where c.id = any(${currencyIds}::uuid[])`.execute(trx)
      ).rows.map((r) => [r.currency_id, r]),
    );

    const sealedAt = options.now ?? new Date();
    const blocks: SealedBlock[] = [];
    for (const [currencyId, rows] of byCurrency) {
      const head = heads.get(currencyId);
      if (!head) throw new Error(`unsealed transfer of unknown currency ${currencyId}`);
      let supply: number;
      if (head.number === null) {
        // First block: it continues the legacy chain (frozen by migration 0014), whose supply is
        // computed from the legacy transfers themselves.
        supply = head.issuance ? await legacySupply(trx, currencyId, head.issuance) : 0;
      } else {
        supply = head.supply!;
      }
      for (const r of rows) {
        if (r.phase !== 'single' && r.phase !== 'post') continue;
        if (r.debit_account_id === head.issuance) supply += r.amount;
        if (r.credit_account_id === head.issuance) supply -= r.amount;
      }
      const prevHash = head.number === null ? (head.legacy_hash ?? GENESIS_HASH) : head.hash!;
      const firstPosition = (head.number === null ? (head.legacy_position ?? 0) : head.last_position!) + 1;
      const block = {
        currencyCode: head.code,
        number: (head.number ?? 0) + 1,
        prevHash,
        firstPosition,
        lastPosition: firstPosition + rows.length - 1,
        transferCount: rows.length,
        transfersHash: blockTransfersHash(rows.map((r) => r.hash)),
        supply,
        sealedAt,
      };
      const hash = blockHash(block);
      await trx
        .insertInto('ledger_blocks')
        .values({
          currency_id: currencyId,
          number: block.number,
          prev_hash: prevHash,
          hash,
          transfers_hash: block.transfersHash,
          transfer_count: rows.length,
          first_position: firstPosition,
          last_position: block.lastPosition,
          first_transfer_id: rows[0]!.transfer_id,
          last_transfer_id: rows[rows.length - 1]!.transfer_id,
          supply,
          sealed_at: sealedAt,
        })
        .execute();
      for (let i = 0; i < rows.length; i += 2000) {
        const chunk = rows.slice(i, i + 2000);
        await sql`insert into ledger_block_transfers (transfer_id, currency_id, block_number, index)
          select u.id, ${currencyId}::uuid, ${block.number}::bigint, (u.n - 1 + ${i})::int
          from unnest(${chunk.map((r) => r.transfer_id)}::uuid[]) with ordinality as u(id, n)`.execute(trx);
      }
      blocks.push({
        currencyId,
        currencyCode: head.code,
        number: block.number,
        hash,
        transferCount: rows.length,
        lastPosition: block.lastPosition,
        supply,
      });
    }
    await sql`delete from ledger_unsealed where transfer_id = any(${queued.map((r) => r.transfer_id)}::uuid[])`.execute(
      trx,
    );
    return { sealer: true, blocks, more };
  });
}

/** −balance(issuance) after the legacy chain (the transfers with a chain position). */
async function legacySupply(trx: Db, currencyId: string, issuance: string): Promise<number> {
  const r = await sql<{ supply: string | null }>`
    select sum(case when debit_account_id = ${issuance}::uuid then amount else -amount end) as supply
    from ledger_transfers
    where currency_id = ${currencyId}::uuid and position is not null and phase in ('single', 'post')
      and (debit_account_id = ${issuance}::uuid or credit_account_id = ${issuance}::uuid)`.execute(trx);
  return Number(r.rows[0]?.supply ?? 0);
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
  const round = async (): Promise<boolean> => {
    let sealed = false;
    let held = true;
    try {
      for (;;) {
        const result = await sealBlocks(db);
        if (!result.sealer) held = false;
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
