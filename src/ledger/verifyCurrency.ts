import { sql } from 'kysely';
import { MAX_AMOUNT_MINOR, MAX_SUPPLY_MINOR } from '../shared/money.ts';
import type { Trx } from '../db/database.ts';
import {
  GENESIS_HASH,
  blockHash,
  blockTransfersHash,
  checkpointMessage,
  transferHash,
  transferOwnHash,
} from './chain.ts';
import { TRANSFER_COLUMNS, toTransfer, type Transfer } from './ledger.ts';
import { verifyText } from './nodeKey.ts';
import { linkedCardIds } from '../cards/index.ts';
import { Found, PAGE, type CurrencySummary } from './verifyFindings.ts';
import { verifyDebts } from './verifyReserve.ts';
import type { LogSummary } from './witness/verifyLog.ts';

/**
 * The checks of one currency (docs/LEDGER.md, "rezo ledger verify"), numbered as there: the legacy
 * chain, the blocks and their transfers, the unsealed queue, each transfer once, the checkpoints'
 * signatures, the balances replayed and the sums, then the holders' debts (verifyReserve.ts).
 */

export type PublicKey = Parameters<typeof verifyText>[0];

export async function verifyCurrency(
  db: Trx,
  publicKey: PublicKey,
  currency: { id: string; code: string; euro_backed: boolean },
  now: Date,
): Promise<Omit<CurrencySummary, keyof LogSummary>> {
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
  /** What both encodings hash of a transfer (the legacy one adds its position). */
  const hashed = (t: Transfer) => ({
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
  /** The transfer's stored hash must be what its fields hash to (`recomputed`, in its encoding). */
  const checkHash = (t: Transfer, where: string, recomputed: string) => {
    if (recomputed !== t.hash)
      fail(
        'transfer-hash',
        where,
        `stored hash ${t.hash} but the transfer's fields hash to ${recomputed}: the transfer was changed after it was written`,
      );
  };

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
      checkHash(t, where, transferHash({ ...hashed(t), position: at }, prevHash));
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
        checkHash(t, at, transferOwnHash(hashed(t)));
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
      checkHash(t, where, transferOwnHash(hashed(t)));
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
