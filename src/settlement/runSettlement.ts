import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import {
  type Authorisation,
  federationMembers,
  type FederationMember,
  loadNodeKey,
  signText,
  settleVenue,
} from '../ledger/index.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { federationTimezone, readUntil } from './periods.ts';
import { feeBpsOf } from './setSettlementFee.ts';
import { linesDigest, STATEMENT_MESSAGE_VERSION, statementMessage } from './statementSignature.ts';
import { listRunStatements, pendingPayout, RUN_COLUMNS, toRun, type Run, type Statement } from './statements.ts';
import { authorizeTreasurer, lockSettlement, settledFederation, type SettledFederation } from './treasurers.ts';

export interface RunSettlementInput {
  /** The federation's slug. */
  federation: unknown;
  /** The period's end: a Date, `now`, `YYYY-MM-DD` (that day's end, federation time zone) or an ISO instant. */
  until: unknown;
}

export interface RunSettlementResult {
  run: Run;
  statements: Statement[];
  /** The same end as the last run, already complete: nothing was written. */
  replayed: boolean;
  /** An interrupted run of the same end was completed. */
  resumed: boolean;
}

/** Who the ledger postings name as their authoriser. */
export function authorisationOf(actor: Actor): Authorisation {
  return actor.kind === 'person'
    ? { by: 'person', authoriserId: actor.personId, placeId: null, deviceSignature: null }
    : { by: 'node', authoriserId: '', placeId: null, deviceSignature: null };
}

/**
 * Settles a federation up to `until` (docs/SETTLEMENT.md, "Runs"): one transaction creates the run (or
 * finds the interrupted one of the same end, or the complete one: nothing to do), then one transaction
 * per member venue writes its statement and postings (skipped if the run already has it), then one
 * marks the run complete. Killed anywhere, the same call completes it, each venue once. Treasurers of
 * the federation, operators and the node only.
 */
export async function runSettlement(
  db: Db,
  actor: Actor,
  input: RunSettlementInput,
  options: { now?: Date } = {},
): Promise<RunSettlementResult> {
  const now = options.now ?? new Date();
  const start = await inTransaction(db, async (trx) => {
    const federation = await settledFederation(trx, input.federation);
    await authorizeTreasurer(trx, actor, federation.id);
    const members = await federationMembers(trx, federation.id);
    const end = readUntil(input.until, federationTimezone(members), now);
    await lockSettlement(trx, federation.id);
    const pending = await pendingPayout(trx, federation.id);
    if (pending) throw new DomainError('settlement-payout-pending', 409, { statement: pending });
    const running = await trx
      .selectFrom('settlement_runs')
      .select(RUN_COLUMNS)
      .where('federation_id', '=', federation.id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (running) {
      if (running.period_end.getTime() !== end.getTime())
        throw new DomainError('settlement-run-incomplete', 409, { until: running.period_end.toISOString() });
      return { federation, run: toRun(running), replayed: false, resumed: true };
    }
    const last = await trx
      .selectFrom('settlement_runs')
      .select(RUN_COLUMNS)
      .where('federation_id', '=', federation.id)
      .orderBy('period_end', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last && last.period_end.getTime() === end.getTime())
      return { federation, run: toRun(last), replayed: true, resumed: false };
    if (last && last.period_end.getTime() > end.getTime())
      throw new DomainError('settlement-period-overlap', 409, { last: last.period_end.toISOString() });
    const row = await trx
      .insertInto('settlement_runs')
      .values({
        id: uuidv7(),
        federation_id: federation.id,
        currency_id: federation.currency.id,
        period_start: last?.period_end ?? null,
        period_end: end,
        status: 'running',
        started_by: actor.kind === 'person' ? actor.personId : null,
        // The clock, not now(): inside a longer transaction now() is its start.
        started_at: new Date(),
      })
      .returning(RUN_COLUMNS)
      .executeTakeFirstOrThrow();
    await audit(trx, actor, {
      action: 'settlement.run-started',
      subjectId: row.id,
      data: { federation: federation.slug, until: end.toISOString() },
    });
    return { federation, run: toRun(row), replayed: false, resumed: false };
  });
  const { federation, run } = start;
  if (start.replayed)
    return { run, statements: await listRunStatements(db, actor, run.id), replayed: true, resumed: false };

  // One transaction per venue, in slug order (the statements' numbers follow it).
  for (const venue of await federationMembers(db, federation.id)) await settleOne(db, actor, federation, run, venue);

  const done = await inTransaction(db, async (trx) => {
    await lockSettlement(trx, federation.id);
    const row = await trx
      .updateTable('settlement_runs')
      .set({ status: 'complete', completed_at: new Date() })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .returning(RUN_COLUMNS)
      .executeTakeFirst();
    if (row)
      await audit(trx, actor, {
        action: 'settlement.run',
        subjectId: run.id,
        data: { federation: federation.slug, until: run.periodEnd.toISOString(), resumed: start.resumed },
      });
    return row ? toRun(row) : run;
  });
  return {
    run: { ...done, status: 'complete' },
    statements: await listRunStatements(db, actor, run.id),
    replayed: false,
    resumed: start.resumed,
  };
}

/** The statement of one venue for the run, in its own transaction; nothing if the run already has it. */
async function settleOne(db: Db, actor: Actor, federation: SettledFederation, run: Run, venue: FederationMember) {
  await inTransaction(db, async (trx: Trx) => {
    await lockSettlement(trx, federation.id);
    const done = await trx
      .selectFrom('settlement_statements')
      .select('id')
      .where('run_id', '=', run.id)
      .where('place_id', '=', venue.id)
      .executeTakeFirst();
    if (done) return;
    const id = uuidv7();
    const feeBps = await feeBpsOf(trx, federation.id);
    const settled = await settleVenue(trx, {
      statementId: id,
      currency: federation.currency,
      placeId: venue.id,
      periodStart: run.periodStart,
      end: run.periodEnd,
      feeBps,
      authorisation: authorisationOf(actor),
    });
    const last = await trx
      .selectFrom('settlement_statements')
      .select((eb) => eb.fn.max('number').as('n'))
      .where('federation_id', '=', federation.id)
      .executeTakeFirst();
    const number = Number(last?.n ?? 0) + 1;
    const createdAt = new Date();
    const linesSha256 = linesDigest(settled.lines);
    const key = await loadNodeKey(trx);
    const signature = signText(
      key.privateKey,
      statementMessage({
        id,
        currencyCode: federation.currency.code,
        placeId: venue.id,
        number,
        periodStart: run.periodStart,
        periodEnd: run.periodEnd,
        coversTo: settled.coversTo,
        openingCents: settled.openingCents,
        tokensCents: settled.tokensCents,
        cashCents: settled.cashCents,
        feeCents: settled.feeCents,
        closingCents: settled.closingCents,
        linesSha256,
        createdAt,
      }),
    );
    await trx
      .insertInto('settlement_statements')
      .values({
        id,
        run_id: run.id,
        federation_id: federation.id,
        place_id: venue.id,
        currency_id: federation.currency.id,
        number,
        period_start: run.periodStart,
        period_end: run.periodEnd,
        covers_to: settled.coversTo,
        opening_cents: settled.openingCents,
        tokens_cents: settled.tokensCents,
        cash_cents: settled.cashCents,
        fee_bps: feeBps,
        fee_cents: settled.feeCents,
        closing_cents: settled.closingCents,
        lines: JSON.stringify(settled.lines),
        lines_sha256: linesSha256,
        signature,
        message_version: STATEMENT_MESSAGE_VERSION,
        created_by: actor.kind === 'person' ? actor.personId : null,
        created_at: createdAt,
      })
      .execute();
    await audit(trx, actor, {
      placeId: venue.id,
      action: 'settlement.statement',
      subjectId: id,
      data: { run: run.id, number, closing: settled.closingCents, items: settled.items },
    });
  });
}
