import { sql } from 'kysely';
import { MAX_SUPPLY_MINOR } from '../shared/money.ts';
import type { Db, Trx } from '../db/database.ts';
import {
  GENESIS_HASH,
  blockHash,
  blockTransfersHash,
  checkpointMessage,
  transferHash,
  transferOwnHash,
} from './chain.ts';
import { TRANSFER_COLUMNS, toTransfer, type Transfer } from './ledger.ts';
import { loadNodeKey, verifyText } from './nodeKey.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { linkedCardIds } from '../cards/cards.ts';

export interface CurrencySummary {
  code: string;
  /** Every transfer checked: legacy chain + sealed in blocks + unsealed. */
  transfers: number;
  /** Transfers of the legacy per-transfer chain (written before migration 0014). */
  legacyTransfers: number;
  blocks: number;
  /** Transfers committed and not sealed yet (still in the queue), and the age of the oldest, in ms. */
  unsealed: number;
  oldestUnsealedMs: number | null;
  accounts: number;
  supply: number;
  checkpoints: number;
  /** Hash of the last block (or of the legacy chain's head when there is no block yet). */
  headHash: string;
  /** What holders owe after euros were taken back for tokens already spent (`ledger_debts`). */
  debts: number;
}

export interface Inconsistency {
  /** Stable name of the check that failed. */
  check: string;
  currency: string;
  /** Block, chain position, transfer id or account id: where to look. */
  where: string;
  message: string;
}

/** The reserve of a federation's euro token (docs/SETTLEMENT.md), in cents. */
export interface ReserveSummary {
  federation: string;
  code: string;
  /**
   * Payments received − payouts to holders − settlement euro records. Holders' debts (euros given back
   * beyond what could be burnt, docs/PAYMENTS.md) are not payouts: they stay in `held` as owed to the federation.
   */
  held: number;
  /** Person and card balances. */
  inCirculation: number;
  /** Place balances: received by venues, not settled yet. */
  atVenues: number;
  /** Settlement positions, signed: settled and not paid (+) or not received (−). */
  positions: number;
  /** The negative positions alone (owed by venues), for the summary line. */
  owedByVenues: number;
  /** Any other non-issuance account (reserve, clearing, demurrage roles). */
  other: number;
}

export interface VerifyResult {
  ok: boolean;
  currencies: CurrencySummary[];
  /** One per federation whose euro token was checked. */
  reserves: ReserveSummary[];
  /** The first inconsistency found; verification stops there. */
  problem: Inconsistency | null;
}

const PAGE = 2000;

class Found extends Error {
  constructor(readonly problem: Inconsistency) {
    super(problem.message);
  }
}

/**
 * Re-checks the whole ledger from the outside (docs/LEDGER.md, "rezo ledger verify"): the legacy
 * per-transfer chain, every block (its link, its hash, the hash over its transfers, its supply),
 * every transfer's own hash, that every transfer is sealed in exactly one block or still waits in the
 * unsealed queue, every checkpoint signature against its block, every balance and pending amount
 * replayed, every per-currency sum, and the euro backing. Read-only, in one REPEATABLE READ
 * snapshot so a sealer or payments running meanwhile do not disturb it. Stops at the first
 * inconsistency and says what and where.
 */
export async function verifyLedger(db: Db, options: { currencyCode?: string; now?: Date } = {}): Promise<VerifyResult> {
  const run = async (trx: Trx): Promise<VerifyResult> => {
    const key = await loadNodeKey(trx);
    let q = trx
      .selectFrom('ledger_currencies')
      .select(['id', 'code', 'euro_backed', 'issuer_federation_id'])
      .orderBy('code');
    if (options.currencyCode) q = q.where('code', '=', options.currencyCode);
    const currencies = await q.execute();
    const summaries: CurrencySummary[] = [];
    const reserves: ReserveSummary[] = [];
    const now = options.now ?? (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
    try {
      if (options.currencyCode && currencies.length === 0) {
        throw new Found({
          check: 'currency',
          currency: options.currencyCode,
          where: options.currencyCode,
          message: 'no such currency',
        });
      }
      for (const currency of currencies) summaries.push(await verifyCurrency(trx, key.publicKey, currency, now));
      // After every currency checked alone: the reserve of each federation's token, then settlement's links.
      for (const currency of currencies)
        if (currency.issuer_federation_id)
          reserves.push(await verifyReserve(trx, { ...currency, federationId: currency.issuer_federation_id }));
      return { ok: true, currencies: summaries, reserves, problem: null };
    } catch (error) {
      if (error instanceof Found) return { ok: false, currencies: summaries, reserves, problem: error.problem };
      throw error;
    }
  };
  if (db.isTransaction) return run(db as Trx);
  return db.transaction().setIsolationLevel('repeatable read').execute(run);
}

type PublicKey = Parameters<typeof verifyText>[0];

async function verifyCurrency(
  db: Trx,
  publicKey: PublicKey,
  currency: { id: string; code: string; euro_backed: boolean },
  now: Date,
): Promise<CurrencySummary> {
  const fail = (check: string, where: string, message: string): never => {
    throw new Found({ check, currency: currency.code, where, message });
  };
  const accounts = await db
    .selectFrom('ledger_accounts')
    .select(['id', 'currency_id', 'owner_kind', 'owner_ref', 'floor', 'balance', 'pending_debits'])
    .where('currency_id', '=', currency.id)
    .execute();
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const replay = new Map(accounts.map((a) => [a.id, { balance: 0, pending: 0 }]));
  const checkpoints = await db
    .selectFrom('ledger_checkpoints')
    .select(['block_number', 'position', 'head_hash', 'supply', 'signed_at', 'signature'])
    .where('currency_id', '=', currency.id)
    .orderBy('position')
    .execute();
  const legacyCheckpointAt = new Map(checkpoints.filter((c) => c.block_number === null).map((c) => [c.position, c]));
  const blockCheckpoints = new Map<number, typeof checkpoints>();
  for (const c of checkpoints)
    if (c.block_number !== null)
      blockCheckpoints.set(c.block_number, [...(blockCheckpoints.get(c.block_number) ?? []), c]);
  const issuance = accounts.find((a) => a.owner_kind === 'system' && a.owner_ref === 'issuance');
  const replayedSupply = () => (issuance ? -replay.get(issuance.id)!.balance : 0);
  const holds = new Map<string, { amount: number; resolved: boolean }>();

  /** Applies one transfer to the replayed balances (every phase), checking accounts, holds and floors. */
  const apply = (t: Transfer, where: string) => {
    const debit = replay.get(t.debitAccountId);
    const credit = replay.get(t.creditAccountId);
    if (!debit || !credit)
      fail('transfer-account', where, 'an account of this transfer is not an account of its currency');
    if (!(t.amount > 0 && t.amount <= MAX_AMOUNT_MINOR))
      fail('transfer-amount', where, `amount ${t.amount} is not between 1 and ${MAX_AMOUNT_MINOR}`);
    switch (t.phase) {
      case 'single':
        debit!.balance -= t.amount;
        credit!.balance += t.amount;
        break;
      case 'pending':
        debit!.pending += t.amount;
        holds.set(t.id, { amount: t.amount, resolved: false });
        break;
      case 'post':
      case 'void': {
        const hold = holds.get(t.pendingId ?? '');
        if (!hold) fail('hold', where, `resolves ${t.pendingId}, which is not an earlier hold of this currency`);
        if (hold!.resolved) fail('hold', where, `hold ${t.pendingId} is resolved twice`);
        if (t.amount > hold!.amount) fail('hold', where, `posts ${t.amount}, more than the hold's ${hold!.amount}`);
        hold!.resolved = true;
        debit!.pending -= hold!.amount;
        if (t.phase === 'post') {
          debit!.balance -= t.amount;
          credit!.balance += t.amount;
        }
        break;
      }
    }
    const debitAccount = byId.get(t.debitAccountId)!;
    if (debitAccount.floor !== null && debit!.balance - debit!.pending < debitAccount.floor) {
      fail(
        'floor',
        where,
        `account ${t.debitAccountId} goes below its floor (${debit!.balance - debit!.pending} < ${debitAccount.floor})`,
      );
    }
  };
  const ownHash = (t: Transfer) =>
    transferOwnHash({
      currencyCode: currency.code,
      id: t.id,
      phase: t.phase,
      kind: t.kind,
      debitAccountId: t.debitAccountId,
      creditAccountId: t.creditAccountId,
      amount: t.amount,
      pendingId: t.pendingId,
      batchId: t.batchId,
      createdAt: t.createdAt,
      authorisedBy: t.authorisedBy,
      authoriserId: t.authoriserId,
      metadata: t.metadata,
      deviceSignature: t.deviceSignature,
    });

  // 1. The legacy per-transfer chain (transfers written before migration 0014), as before.
  let prevHash = GENESIS_HASH;
  let position = 0;
  for (;;) {
    const rows = await db
      .selectFrom('ledger_transfers')
      .select(TRANSFER_COLUMNS)
      .where('currency_id', '=', currency.id)
      .where('position', 'is not', null)
      .where('position', '>', position)
      .orderBy('position')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const t = toTransfer(row);
      const at = t.position!;
      const where = `position ${at}, transfer ${t.id}`;
      if (at !== position + 1) fail('chain-gap', where, `expected position ${position + 1}, found ${at}`);
      if (t.prevHash !== prevHash)
        fail('chain-link', where, `prev_hash ${t.prevHash} does not match the previous transfer's hash ${prevHash}`);
      const recomputed = transferHash(
        {
          currencyCode: currency.code,
          position: at,
          id: t.id,
          phase: t.phase,
          kind: t.kind,
          debitAccountId: t.debitAccountId,
          creditAccountId: t.creditAccountId,
          amount: t.amount,
          pendingId: t.pendingId,
          batchId: t.batchId,
          createdAt: t.createdAt,
          authorisedBy: t.authorisedBy,
          authoriserId: t.authoriserId,
          metadata: t.metadata,
          deviceSignature: t.deviceSignature,
        },
        prevHash,
      );
      if (recomputed !== t.hash)
        fail(
          'transfer-hash',
          where,
          `stored hash ${t.hash} but the transfer's fields hash to ${recomputed}: the transfer was changed after it was written`,
        );
      apply(t, where);
      const checkpoint = legacyCheckpointAt.get(at);
      if (checkpoint) {
        if (checkpoint.head_hash !== t.hash)
          fail(
            'checkpoint-head',
            `checkpoint at position ${at}`,
            `signed head ${checkpoint.head_hash} differs from the chain's ${t.hash}`,
          );
        if (checkpoint.supply !== replayedSupply())
          fail(
            'checkpoint-supply',
            `checkpoint at position ${at}`,
            `signed supply ${checkpoint.supply} differs from the replayed ${replayedSupply()}`,
          );
      }
      prevHash = t.hash;
      position = at;
    }
    if (rows.length < PAGE) break;
  }
  const legacyTransfers = position;
  // The legacy head row is frozen since blocks took over; it must still be the legacy chain's end.
  const head = await db
    .selectFrom('ledger_chain_heads')
    .select(['position', 'hash'])
    .where('currency_id', '=', currency.id)
    .executeTakeFirst();
  if (!head || head.position !== position || head.hash !== prevHash) {
    fail(
      'chain-head',
      `head of ${currency.code}`,
      `head row (${head?.position}, ${head?.hash}) differs from the last legacy transfer (${position}, ${prevHash})`,
    );
  }
  for (const c of legacyCheckpointAt.values()) {
    if (c.position > position)
      fail(
        'checkpoint-head',
        `checkpoint at position ${c.position}`,
        'signed for a position beyond the end of the legacy chain and for no block',
      );
  }

  // 2. The blocks, in order, each with its transfers in block order.
  const mapped = new MappedTransfers(db, currency.id);
  let blockNumber = 0;
  let sealed = 0;
  for (;;) {
    const blocks = await db
      .selectFrom('ledger_blocks')
      .selectAll()
      .where('currency_id', '=', currency.id)
      .where('number', '>', blockNumber)
      .orderBy('number')
      .limit(500)
      .execute();
    for (const b of blocks) {
      const where = `block ${b.number}`;
      if (b.number !== blockNumber + 1)
        fail('block-gap', where, `expected block ${blockNumber + 1}, found ${b.number}`);
      if (b.prev_hash !== prevHash)
        fail(
          'block-link',
          where,
          `prev_hash ${b.prev_hash} does not match the previous ${blockNumber === 0 ? 'legacy chain head' : 'block'}'s hash ${prevHash}`,
        );
      if (b.first_position !== position + 1 || b.last_position !== b.first_position + b.transfer_count - 1) {
        fail(
          'block-gap',
          where,
          `covers positions ${b.first_position}..${b.last_position} (${b.transfer_count} transfers) after position ${position}`,
        );
      }
      const rows = await mapped.take(b.number, b.transfer_count);
      if (rows.length !== b.transfer_count)
        fail(
          'block-transfers',
          where,
          `holds ${rows.length} transfers, the block says ${b.transfer_count}: a transfer was removed from it`,
        );
      const transfers: Transfer[] = [];
      for (const [i, r] of rows.entries()) {
        const at = `${where}, index ${i}, transfer ${r.transfer_id}`;
        if (r.index !== i) fail('block-transfers', at, `index ${r.index} where ${i} was expected`);
        if (!r.transfer)
          fail(
            'block-transfer-missing',
            at,
            'sealed in this block but no longer in ledger_transfers: the transfer was deleted',
          );
        const t = r.transfer!;
        if (t.currencyId !== currency.id || t.position !== null)
          fail('block-transfers', at, 'not a transfer of this currency sealed in a block');
        const recomputed = ownHash(t);
        if (recomputed !== t.hash)
          fail(
            'transfer-hash',
            at,
            `stored hash ${t.hash} but the transfer's fields hash to ${recomputed}: the transfer was changed after it was written`,
          );
        transfers.push(t);
      }
      if (transfers[0]?.id !== b.first_transfer_id || transfers[transfers.length - 1]?.id !== b.last_transfer_id) {
        fail(
          'block-transfers',
          where,
          'its first or last transfer is not the one the block names: transfers were reordered or replaced',
        );
      }
      const transfersHash = blockTransfersHash(transfers.map((t) => t.hash));
      if (transfersHash !== b.transfers_hash)
        fail(
          'block-transfers',
          where,
          `its transfers hash to ${transfersHash}, the block says ${b.transfers_hash}: transfers were reordered, added or removed`,
        );
      const recomputed = blockHash({
        currencyCode: currency.code,
        number: b.number,
        prevHash: b.prev_hash,
        firstPosition: b.first_position,
        lastPosition: b.last_position,
        transferCount: b.transfer_count,
        transfersHash: b.transfers_hash,
        supply: b.supply,
        sealedAt: b.sealed_at,
      });
      if (recomputed !== b.hash)
        fail(
          'block-hash',
          where,
          `stored hash ${b.hash} but the block's fields hash to ${recomputed}: the block was forged or changed`,
        );
      for (const [i, t] of transfers.entries()) apply(t, `${where}, index ${i}, transfer ${t.id}`);
      if (b.supply !== replayedSupply())
        fail('block-supply', where, `records supply ${b.supply}, its transfers give ${replayedSupply()}`);
      if (Math.abs(b.supply) > MAX_SUPPLY_MINOR)
        fail('supply-bound', where, `supply ${b.supply} beyond MAX_SUPPLY_MINOR (${MAX_SUPPLY_MINOR})`);
      for (const c of blockCheckpoints.get(b.number) ?? []) {
        const at = `checkpoint of block ${b.number}`;
        if (c.head_hash !== b.hash || c.position !== b.last_position)
          fail(
            'checkpoint-head',
            at,
            `signed (${c.position}, ${c.head_hash}), the block is (${b.last_position}, ${b.hash})`,
          );
        if (c.supply !== b.supply)
          fail('checkpoint-supply', at, `signed supply ${c.supply} differs from the replayed ${b.supply}`);
      }
      blockCheckpoints.delete(b.number);
      prevHash = b.hash;
      position = b.last_position;
      blockNumber = b.number;
      sealed += b.transfer_count;
    }
    if (blocks.length < 500) break;
  }
  const extra = await mapped.take(Number.MAX_SAFE_INTEGER, 1);
  if (extra.length > 0)
    fail(
      'block-transfers',
      `transfer ${extra[0]!.transfer_id}`,
      `mapped to block ${extra[0]!.block_number}, which is not in the chain of blocks`,
    );
  for (const [number] of blockCheckpoints)
    fail('checkpoint-head', `checkpoint of block ${number}`, 'signed for a block that is not in the chain');

  // 3. Transfers committed but not sealed yet: their own hash, then replayed (balances include them).
  let unsealed = 0;
  let oldest: Date | null = null;
  let seq = 0;
  for (;;) {
    const rows = await db
      .selectFrom('ledger_unsealed as q')
      .leftJoin('ledger_transfers as t', 't.id', 'q.transfer_id')
      .select([
        'q.seq',
        'q.transfer_id',
        'q.currency_id as queued_currency_id',
        'q.created_at as queued_at',
        ...TRANSFER_COLUMNS.map((c) => `t.${c}` as const),
      ])
      .where('q.currency_id', '=', currency.id)
      .where('q.seq', '>', seq)
      .orderBy('q.seq')
      .limit(PAGE)
      .execute();
    for (const r of rows) {
      const where = `unsealed, transfer ${r.transfer_id}`;
      if (r.id === null)
        fail(
          'unsealed-missing',
          where,
          'waits to be sealed but is no longer in ledger_transfers: the transfer was deleted',
        );
      const t = toTransfer(r as Parameters<typeof toTransfer>[0]);
      if (t.currencyId !== currency.id || t.position !== null)
        fail('unsealed', where, 'not a transfer of this currency waiting for a block');
      const recomputed = ownHash(t);
      if (recomputed !== t.hash)
        fail(
          'transfer-hash',
          where,
          `stored hash ${t.hash} but the transfer's fields hash to ${recomputed}: the transfer was changed after it was written`,
        );
      apply(t, where);
      unsealed += 1;
      if (!oldest || r.queued_at < oldest) oldest = r.queued_at;
      seq = r.seq;
    }
    if (rows.length < PAGE) break;
  }
  // 4. Every transfer of the currency is accounted for exactly once.
  const twice = await sql<{
    id: string;
  }>`select q.transfer_id as id from ledger_unsealed q join ledger_block_transfers b on b.transfer_id = q.transfer_id
    where q.currency_id = ${currency.id}::uuid limit 1`.execute(db);
  if (twice.rows[0])
    fail('sealed-twice', `transfer ${twice.rows[0].id}`, 'sealed in a block and still in the unsealed queue');
  const count = await sql<{
    n: string;
  }>`select count(*) as n from ledger_transfers where currency_id = ${currency.id}::uuid`.execute(db);
  if (Number(count.rows[0]!.n) !== legacyTransfers + sealed + unsealed) {
    const lost = await sql<{
      id: string;
    }>`select t.id from ledger_transfers t where t.currency_id = ${currency.id}::uuid and t.position is null
      and not exists (select 1 from ledger_block_transfers b where b.transfer_id = t.id) and not exists (select 1 from ledger_unsealed q where q.transfer_id = t.id)
      order by t.created_at, t.id limit 1`.execute(db);
    const id = lost.rows[0]?.id;
    fail(
      'transfer-unsealed',
      id ? `transfer ${id}` : currency.code,
      id
        ? 'neither sealed in a block nor waiting in the unsealed queue: it was inserted behind the sealer’s back or its queue row was removed'
        : `${count.rows[0]!.n} transfers stored but ${legacyTransfers + sealed + unsealed} chained, sealed or queued`,
    );
  }

  // 5. Every checkpoint's signature.
  for (const c of checkpoints) {
    const message = checkpointMessage({
      currencyCode: currency.code,
      block: c.block_number,
      position: c.position,
      headHash: c.head_hash,
      supply: c.supply,
      signedAt: c.signed_at,
    });
    const where =
      c.block_number === null ? `checkpoint at position ${c.position}` : `checkpoint of block ${c.block_number}`;
    if (!verifyText(publicKey, message, c.signature))
      fail('checkpoint-signature', where, "signature does not verify with the node's public key");
  }

  // 6. Balances and pending amounts replayed, the per-currency sum, the euro backing.
  let sum = 0;
  for (const a of accounts) {
    const r = replay.get(a.id)!;
    if (a.balance !== r.balance)
      fail(
        'balance',
        `account ${a.id} (${a.owner_kind} ${a.owner_ref})`,
        `balance ${a.balance} but its transfers give ${r.balance}`,
      );
    if (a.pending_debits !== r.pending)
      fail(
        'pending',
        `account ${a.id} (${a.owner_kind} ${a.owner_ref})`,
        `pending ${a.pending_debits} but its holds give ${r.pending}`,
      );
    sum += a.balance;
  }
  if (sum !== 0) fail('sum', currency.code, `balances sum to ${sum}, not 0`);
  // A linked card spends from its holder's wallet: money on its own account would be stranded
  // (docs/CARDS.md rule 7; the holder's next link sweeps it).
  const onCards = accounts.filter((a) => a.owner_kind === 'card' && (a.balance !== 0 || a.pending_debits !== 0));
  const linked = await linkedCardIds(db, [...new Set(onCards.map((a) => a.owner_ref))]);
  for (const a of onCards)
    if (linked.has(a.owner_ref))
      fail('card-linked-balance', `account ${a.id} (card ${a.owner_ref})`, `holds ${a.balance} on a linked card`);
  // Each logged refund or payout is the transfer it names: same amount, a refund or payout, from
  // that venue's account of this currency (docs/LEDGER.md, "Refunds and payouts").
  const refunds = await sql<{ transfer_id: string; place_id: string; amount: number }>`
    select r.transfer_id, r.place_id, r.amount
    from ledger_refunds r left join ledger_transfers t on t.id = r.transfer_id
      left join ledger_accounts a on a.id = t.debit_account_id
    where r.currency_id = ${currency.id}::uuid and not coalesce(t.amount = r.amount and t.kind in ('refund', 'payout')
      and a.owner_kind = 'place' and a.owner_ref = r.place_id::text and t.currency_id = r.currency_id, false)
    limit 1`.execute(db);
  for (const r of refunds.rows)
    fail(
      'refund-log',
      `transfer ${r.transfer_id}`,
      `logged as a refund of ${r.amount} by venue ${r.place_id}, which it is not`,
    );
  const supply = issuance ? -issuance.balance : 0;
  // Rule 1b: no supply beyond MAX_SUPPLY_MINOR (the engine and a CHECK refuse it; this finds one
  // written behind their back, or before migration 0019).
  if (Math.abs(supply) > MAX_SUPPLY_MINOR)
    fail('supply-bound', currency.code, `supply ${supply} beyond MAX_SUPPLY_MINOR (${MAX_SUPPLY_MINOR})`);
  if (currency.euro_backed) {
    const received = await sql<{
      total: string;
    }>`select coalesce(sum(amount_cents), 0) as total from ledger_payment_references where currency_id = ${currency.id}::uuid`.execute(
      db,
    );
    // Every payout counts, with or without the payment it refunds (cash paid out at a counter has
    // none): its currency is the one of the burn transfer it records.
    const paid = await sql<{ total: string }>`select coalesce(sum(o.amount_cents), 0) as total from ledger_payouts o
      join ledger_transfers t on t.id = o.transfer_id where t.currency_id = ${currency.id}::uuid`.execute(db);
    // Settlement postings touching issuance (docs/SETTLEMENT.md): a burn when euros left the reserve
    // for a venue (cash kept, fee, payout), a mint when euros came in (remittance, cash advanced).
    const settled = await sql<{
      total: string;
    }>`select coalesce(sum(case when t.credit_account_id = ${issuance?.id ?? null}::uuid
        then t.amount else -t.amount end), 0) as total from ledger_transfers t
      where t.currency_id = ${currency.id}::uuid and t.kind in ('settlement_cash', 'settlement_fee', 'settlement_payout', 'settlement_remittance')
        and (t.credit_account_id = ${issuance?.id ?? null}::uuid or t.debit_account_id = ${issuance?.id ?? null}::uuid)`.execute(
      db,
    );
    const reserve = Number(received.rows[0]!.total) - Number(paid.rows[0]!.total) - Number(settled.rows[0]!.total);
    if (reserve !== supply)
      fail(
        'backing',
        currency.code,
        `supply ${supply} but euros held (payments ${received.rows[0]!.total} - payouts ${paid.rows[0]!.total} - settled ${settled.rows[0]!.total}) are ${reserve}`,
      );
  }
  const debts = await verifyDebts(db, currency, fail);
  return {
    code: currency.code,
    transfers: legacyTransfers + sealed + unsealed,
    legacyTransfers,
    blocks: blockNumber,
    unsealed,
    oldestUnsealedMs: oldest ? Math.max(0, now.getTime() - oldest.getTime()) : null,
    accounts: accounts.length,
    supply,
    checkpoints: checkpoints.length,
    headHash: prevHash,
    debts,
  };
}

/**
 * 8. Holders' debts (docs/LEDGER.md rule 5): each names a payment of its currency and an account of
 * its currency; per payment, what payouts and debts took back is at most the payment. Answers the
 * debts' total.
 */
async function verifyDebts(
  db: Trx,
  currency: { id: string; code: string },
  fail: (check: string, where: string, message: string) => never,
): Promise<number> {
  const { rows: orphans } = await sql<{ reference: string }>`
    select d.reversal_reference as reference from ledger_debts d
      left join ledger_payment_references p
        on p.provider = d.payment_provider and p.reference = d.payment_reference and p.currency_id = d.currency_id
      left join ledger_accounts a on a.id = d.account_id and a.currency_id = d.currency_id
     where d.currency_id = ${currency.id}::uuid and (p.reference is null or a.id is null)
     limit 1`.execute(db);
  if (orphans[0])
    fail('debt-reference', `debt ${orphans[0].reference}`, 'its payment or its account is not of this currency');
  const { rows: beyond } = await sql<{ reference: string; amount: string; back: string }>`
    select p.reference, p.amount_cents as amount,
           coalesce((select sum(o.amount_cents) from ledger_payouts o
                      where o.payment_provider = p.provider and o.payment_reference = p.reference), 0)
         + coalesce((select sum(d.amount_cents) from ledger_debts d
                      where d.payment_provider = p.provider and d.payment_reference = p.reference), 0) as back
      from ledger_payment_references p
     where p.currency_id = ${currency.id}::uuid
       and exists (select 1 from ledger_debts d where d.payment_provider = p.provider and d.payment_reference = p.reference)
     order by p.reference`.execute(db);
  for (const b of beyond)
    if (Number(b.back) > Number(b.amount))
      fail(
        'reversed-beyond-payment',
        `payment ${b.reference}`,
        `payouts and debts take back ${b.back} of a payment of ${b.amount}`,
      );
  const { rows } = await sql<{ total: string }>`
    select coalesce(sum(amount_cents), 0) as total from ledger_debts where currency_id = ${currency.id}::uuid`.execute(
    db,
  );
  return Number(rows[0]!.total);
}

/** The ledger_settlement_euros kind of each settlement posting that touches issuance. */
const EURO_KIND_OF: Record<string, string> = {
  settlement_cash: 'cash_kept',
  settlement_fee: 'fee',
  settlement_payout: 'payout',
  settlement_remittance: 'remittance',
};

/**
 * The reserve of a federation's euro token (docs/SETTLEMENT.md): the euros held, from the euro records
 * (payments received − payouts − settlement euros), must cover the tokens in circulation plus what is
 * owed to the venues, from the account balances (already replayed). Then settlement's links: each euro
 * record has its posting (same amount, same direction), and each statement's postings equal its items.
 */
async function verifyReserve(
  db: Trx,
  currency: { id: string; code: string; federationId: string },
): Promise<ReserveSummary> {
  const federation = await db
    .selectFrom('ledger_federations')
    .select('slug')
    .where('id', '=', currency.federationId)
    .executeTakeFirstOrThrow();
  const where = `federation ${federation.slug} (${currency.code})`;
  const fail = (check: string, at: string, message: string): never => {
    throw new Found({ check, currency: currency.code, where: at, message });
  };
  const total = async (query: ReturnType<typeof sql<{ total: string }>>) =>
    Number((await query.execute(db)).rows[0]!.total);
  const received = await total(
    sql`select coalesce(sum(amount_cents), 0) as total from ledger_payment_references where currency_id = ${currency.id}::uuid`,
  );
  const paidBack = await total(sql`select coalesce(sum(o.amount_cents), 0) as total from ledger_payouts o
    join ledger_transfers t on t.id = o.transfer_id where t.currency_id = ${currency.id}::uuid`);
  const settled = await total(
    sql`select coalesce(sum(amount_cents), 0) as total from ledger_settlement_euros where currency_id = ${currency.id}::uuid`,
  );
  const { rows: balances } = await sql<{ bucket: string; total: string; negative: string }>`
    select case when owner_kind in ('person', 'card') then 'circulation' when owner_kind = 'place' then 'venues'
                when owner_ref like 'settlement:%' then 'positions' else 'other' end as bucket,
           sum(balance) as total, sum(least(balance, 0)) as negative
      from ledger_accounts where currency_id = ${currency.id}::uuid and not (owner_kind = 'system' and owner_ref = 'issuance')
      group by 1`.execute(db);
  const bucket = (name: string) => Number(balances.find((b) => b.bucket === name)?.total ?? 0);
  const summary: ReserveSummary = {
    federation: federation.slug,
    code: currency.code,
    held: received - paidBack - settled,
    inCirculation: bucket('circulation'),
    atVenues: bucket('venues'),
    positions: bucket('positions'),
    owedByVenues: -Number(balances.find((b) => b.bucket === 'positions')?.negative ?? 0),
    other: bucket('other'),
  };
  const owed = summary.inCirculation + summary.atVenues + summary.positions + summary.other;
  if (summary.held < owed)
    fail(
      'reserve',
      where,
      `euros held ${summary.held} (payments ${received} - payouts ${paidBack} - settled ${settled}) are less than ` +
        `in circulation ${summary.inCirculation} + at venues ${summary.atVenues} + settlement positions ${summary.positions}` +
        (summary.other ? ` + other accounts ${summary.other}` : '') +
        ` = ${owed}`,
    );

  // Each euro record matches its posting; each posting touching issuance has its record.
  const { rows: records } = await sql<{
    transfer_id: string;
    kind: string;
    amount_cents: number;
    t_kind: string | null;
    amount: number | null;
    into_issuance: boolean | null;
    currency_id: string | null;
  }>`select e.transfer_id, e.kind, e.amount_cents, t.kind as t_kind, t.amount, t.currency_id,
       (t.credit_account_id = i.id) as into_issuance
     from ledger_settlement_euros e
     left join ledger_transfers t on t.id = e.transfer_id
     left join ledger_accounts i on i.currency_id = e.currency_id and i.owner_kind = 'system' and i.owner_ref = 'issuance'
     where e.currency_id = ${currency.id}::uuid`.execute(db);
  for (const r of records) {
    const expected = r.t_kind ? EURO_KIND_OF[r.t_kind] : undefined;
    const signed = r.amount === null ? null : r.into_issuance ? Number(r.amount) : -Number(r.amount);
    if (expected !== r.kind || r.currency_id !== currency.id || signed !== Number(r.amount_cents))
      fail(
        'settlement-record',
        `euro record of transfer ${r.transfer_id}`,
        `records ${r.kind} ${r.amount_cents}, its posting is ${r.t_kind ?? 'missing'} ${signed ?? ''}`,
      );
  }
  const unrecorded = await sql<{ id: string }>`select t.id from ledger_transfers t
    where t.currency_id = ${currency.id}::uuid and t.kind in ('settlement_cash', 'settlement_fee', 'settlement_payout', 'settlement_remittance')
      and not exists (select 1 from ledger_settlement_euros e where e.transfer_id = t.id) limit 1`.execute(db);
  if (unrecorded.rows[0])
    fail('settlement-record', `transfer ${unrecorded.rows[0].id}`, 'a settlement posting without its euro record');

  // Each statement's postings equal the items it claimed (tokens: the settlement posting; cash: the signed cash posting).
  const { rows: statements } = await sql<{ statement_id: string; side: string; items: string; posted: string }>`
    with items as (
      select statement_id, side, sum(amount) as total from ledger_settled_items where currency_id = ${currency.id}::uuid
      group by statement_id, side),
    posted as (
      select t.metadata->>'statement' as statement_id, case when t.kind = 'settlement' then 'tokens' else 'cash' end as side,
        sum(case when t.kind = 'settlement' then t.amount when t.credit_account_id = i.id then -t.amount else t.amount end) as total
      from ledger_transfers t
      join ledger_accounts i on i.currency_id = t.currency_id and i.owner_kind = 'system' and i.owner_ref = 'issuance'
      where t.currency_id = ${currency.id}::uuid and t.kind in ('settlement', 'settlement_cash')
      group by 1, 2)
    select coalesce(items.statement_id::text, posted.statement_id) as statement_id, coalesce(items.side, posted.side) as side,
      coalesce(items.total, 0) as items, coalesce(posted.total, 0) as posted
    from items full join posted on posted.statement_id = items.statement_id::text and posted.side = items.side
    where coalesce(items.total, 0) <> coalesce(posted.total, 0) limit 1`.execute(db);
  const wrong = statements[0];
  if (wrong)
    fail(
      'settlement-items',
      `statement ${wrong.statement_id} (${wrong.side})`,
      `its items sum to ${wrong.items}, its postings to ${wrong.posted}`,
    );
  return summary;
}

interface MappedRow {
  transfer_id: string;
  block_number: number;
  index: number;
  transfer: Transfer | null;
}

/** The currency's ledger_block_transfers rows with their transfers, read in (block, index) order, in pages. */
class MappedTransfers {
  private buffer: MappedRow[] = [];
  private after: { block: number; index: number } = { block: 0, index: -1 };
  private done = false;
  constructor(
    private readonly db: Trx,
    private readonly currencyId: string,
  ) {}

  private async fill(): Promise<void> {
    const rows = await this.db
      .selectFrom('ledger_block_transfers as m')
      .leftJoin('ledger_transfers as t', 't.id', 'm.transfer_id')
      .select(['m.transfer_id', 'm.block_number', 'm.index', ...TRANSFER_COLUMNS.map((c) => `t.${c}` as const)])
      .where('m.currency_id', '=', this.currencyId)
      .where((eb) =>
        eb.or([
          eb('m.block_number', '>', this.after.block),
          eb.and([eb('m.block_number', '=', this.after.block), eb('m.index', '>', this.after.index)]),
        ]),
      )
      .orderBy('m.block_number')
      .orderBy('m.index')
      .limit(PAGE)
      .execute();
    if (rows.length < PAGE) this.done = true;
    const last = rows[rows.length - 1];
    if (last) this.after = { block: last.block_number, index: last.index };
    for (const r of rows) {
      this.buffer.push({
        transfer_id: r.transfer_id,
        block_number: r.block_number,
        index: r.index,
        transfer: r.id === null ? null : toTransfer(r as Parameters<typeof toTransfer>[0]),
      });
    }
  }

  /** The rows of block `number` (at most `max`); rows of earlier blocks not taken are returned too, so the caller sees them. */
  async take(number: number, max: number): Promise<MappedRow[]> {
    const out: MappedRow[] = [];
    for (;;) {
      if (this.buffer.length === 0 && !this.done) await this.fill();
      const next = this.buffer[0];
      if (!next || next.block_number > number || out.length >= max) return out;
      out.push(this.buffer.shift()!);
    }
  }
}
