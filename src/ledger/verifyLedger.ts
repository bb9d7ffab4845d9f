import type { Db } from '../db/database.ts';
import { GENESIS_HASH, checkpointMessage, transferHash } from './chain.ts';
import { TRANSFER_COLUMNS, toTransfer, type Transfer } from './ledger.ts';
import { loadNodeKey, verifyText } from './nodeKey.ts';

export interface CurrencySummary {
  code: string;
  transfers: number;
  accounts: number;
  supply: number;
  checkpoints: number;
  headHash: string;
}

export interface Inconsistency {
  /** Stable name of the check that failed. */
  check: string;
  currency: string;
  /** Chain position, transfer id or account id: where to look. */
  where: string;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  currencies: CurrencySummary[];
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
 * Re-checks the whole ledger from the outside (docs/LEDGER.md, "rezo ledger verify"): every hash and
 * link of every chain, every checkpoint signature and its head and supply, every balance and pending
 * amount replayed from the transfers, every per-currency sum, and the euro backing. Read-only.
 * Stops at the first inconsistency and says what and where.
 */
export async function verifyLedger(db: Db, options: { currencyCode?: string } = {}): Promise<VerifyResult> {
  const key = await loadNodeKey(db);
  let q = db.selectFrom('ledger_currencies').select(['id', 'code', 'euro_backed']).orderBy('code');
  if (options.currencyCode) q = q.where('code', '=', options.currencyCode);
  const currencies = await q.execute();
  const summaries: CurrencySummary[] = [];
  try {
    if (options.currencyCode && currencies.length === 0) {
      throw new Found({ check: 'currency', currency: options.currencyCode, where: options.currencyCode, message: 'no such currency' });
    }
    for (const currency of currencies) summaries.push(await verifyCurrency(db, key.publicKey, currency));
    return { ok: true, currencies: summaries, problem: null };
  } catch (error) {
    if (error instanceof Found) return { ok: false, currencies: summaries, problem: error.problem };
    throw error;
  }
}

async function verifyCurrency(db: Db, publicKey: Parameters<typeof verifyText>[0], currency: { id: string; code: string; euro_backed: boolean }): Promise<CurrencySummary> {
  const fail = (check: string, where: string, message: string): never => {
    throw new Found({ check, currency: currency.code, where, message });
  };
  const accounts = await db.selectFrom('ledger_accounts').select(['id', 'currency_id', 'owner_kind', 'owner_ref', 'floor', 'balance', 'pending_debits']).where('currency_id', '=', currency.id).execute();
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const replay = new Map(accounts.map((a) => [a.id, { balance: 0, pending: 0 }]));
  const checkpoints = await db.selectFrom('ledger_checkpoints').select(['position', 'head_hash', 'supply', 'signed_at', 'signature']).where('currency_id', '=', currency.id).orderBy('position').execute();
  const checkpointAt = new Map(checkpoints.map((c) => [c.position, c]));
  const issuance = accounts.find((a) => a.owner_kind === 'system' && a.owner_ref === 'issuance');
  const holds = new Map<string, { amount: number; resolved: boolean }>();

  let prevHash = GENESIS_HASH;
  let position = 0;
  for (;;) {
    const rows = await db.selectFrom('ledger_transfers').select(TRANSFER_COLUMNS).where('currency_id', '=', currency.id).where('position', '>', position).orderBy('position').limit(PAGE).execute();
    for (const row of rows) {
      const t: Transfer = toTransfer(row);
      const where = `position ${t.position}, transfer ${t.id}`;
      if (t.position !== position + 1) fail('chain-gap', where, `expected position ${position + 1}, found ${t.position}`);
      if (t.prevHash !== prevHash) fail('chain-link', where, `prev_hash ${t.prevHash} does not match the previous transfer's hash ${prevHash}`);
      const recomputed = transferHash({
        currencyCode: currency.code, position: t.position, id: t.id, phase: t.phase, kind: t.kind, debitAccountId: t.debitAccountId,
        creditAccountId: t.creditAccountId, amount: t.amount, pendingId: t.pendingId, batchId: t.batchId, createdAt: t.createdAt,
        authorisedBy: t.authorisedBy, authoriserId: t.authoriserId, metadata: t.metadata, deviceSignature: t.deviceSignature,
      }, prevHash);
      if (recomputed !== t.hash) fail('transfer-hash', where, `stored hash ${t.hash} but the transfer's fields hash to ${recomputed}: the transfer was changed after it was written`);
      const debit = replay.get(t.debitAccountId);
      const credit = replay.get(t.creditAccountId);
      if (!debit || !credit) fail('transfer-account', where, 'an account of this transfer is not an account of its currency');
      if (!(t.amount > 0)) fail('transfer-amount', where, `amount ${t.amount} is not positive`);
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
        fail('floor', where, `account ${t.debitAccountId} goes below its floor (${debit!.balance - debit!.pending} < ${debitAccount.floor})`);
      }
      const checkpoint = checkpointAt.get(t.position);
      if (checkpoint) {
        if (checkpoint.head_hash !== t.hash) fail('checkpoint-head', `checkpoint at position ${t.position}`, `signed head ${checkpoint.head_hash} differs from the chain's ${t.hash}`);
        const supply = issuance ? -replay.get(issuance.id)!.balance : 0;
        if (checkpoint.supply !== supply) fail('checkpoint-supply', `checkpoint at position ${t.position}`, `signed supply ${checkpoint.supply} differs from the replayed ${supply}`);
      }
      prevHash = t.hash;
      position = t.position;
    }
    if (rows.length < PAGE) break;
  }

  const head = await db.selectFrom('ledger_chain_heads').select(['position', 'hash']).where('currency_id', '=', currency.id).executeTakeFirst();
  if (!head || head.position !== position || head.hash !== prevHash) {
    fail('chain-head', `head of ${currency.code}`, `head row (${head?.position}, ${head?.hash}) differs from the last transfer (${position}, ${prevHash})`);
  }
  for (const c of checkpoints) {
    if (c.position > position) fail('checkpoint-head', `checkpoint at position ${c.position}`, 'signed for a position beyond the end of the chain');
    const message = checkpointMessage({ currencyCode: currency.code, position: c.position, headHash: c.head_hash, supply: c.supply, signedAt: c.signed_at });
    if (!verifyText(publicKey, message, c.signature)) fail('checkpoint-signature', `checkpoint at position ${c.position}`, "signature does not verify with the node's public key");
  }
  let sum = 0;
  for (const a of accounts) {
    const r = replay.get(a.id)!;
    if (a.balance !== r.balance) fail('balance', `account ${a.id} (${a.owner_kind} ${a.owner_ref})`, `balance ${a.balance} but its transfers give ${r.balance}`);
    if (a.pending_debits !== r.pending) fail('pending', `account ${a.id} (${a.owner_kind} ${a.owner_ref})`, `pending ${a.pending_debits} but its holds give ${r.pending}`);
    sum += a.balance;
  }
  if (sum !== 0) fail('sum', currency.code, `balances sum to ${sum}, not 0`);
  const supply = issuance ? -issuance.balance : 0;
  if (currency.euro_backed) {
    const received = await db.selectFrom('ledger_payment_references').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), eb.lit(0)).as('total')).where('currency_id', '=', currency.id).executeTakeFirstOrThrow();
    const paid = await db.selectFrom('ledger_payouts as o').innerJoin('ledger_payment_references as p', (j) => j.onRef('p.provider', '=', 'o.payment_provider').onRef('p.reference', '=', 'o.payment_reference'))
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('o.amount_cents'), eb.lit(0)).as('total')).where('p.currency_id', '=', currency.id).executeTakeFirstOrThrow();
    const reserve = Number(received.total) - Number(paid.total);
    if (reserve !== supply) fail('backing', currency.code, `supply ${supply} but euros held (payments ${received.total} - payouts ${paid.total}) are ${reserve}`);
  }
  return { code: currency.code, transfers: position, accounts: accounts.length, supply, checkpoints: checkpoints.length, headHash: prevHash };
}
