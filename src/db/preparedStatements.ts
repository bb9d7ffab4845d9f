import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * Named prepared statements for the queries a node runs again and again (PostgreSQL server only).
 *
 * Kysely sends every query as an unnamed statement: PostgreSQL parses, analyses and plans it anew
 * each time. For the large single statements of the money path (an order with its places, counters
 * and audit in one CTE, a ledger transfer) that planning cost more PostgreSQL CPU than running them
 * (docs/PERFORMANCE.md). A statement text seen `after` times in this process gets a name derived
 * from its text; node-postgres then parses it once per connection and PostgreSQL keeps its plan
 * (custom plans first, a generic plan once it proves no worse — PostgreSQL's own rule).
 *
 * Bounded on both sides: at most `max` named texts per process (so at most `max` prepared statements
 * per connection on the server, whatever SQL shapes the application generates), and the counts of
 * texts not yet named are forgotten when they pile up. Off with REZO_DB_PREPARED_STATEMENTS=0 (for
 * a pooler in transaction mode that cannot keep prepared statements).
 *
 * Two things PostgreSQL does differently for a prepared statement, and what the code does about them:
 * - A generic plan cannot use a partial unique index whose predicate depends on a parameter: an
 *   `ON CONFLICT (…) WHERE col = $1` fails to find its arbiter once PostgreSQL tries one. Such a
 *   predicate is written as a literal (`sql.lit`, src/ticketing/checkIn.ts).
 * - A migration that changes a table's columns makes a prepared `select *` on it fail with "cached
 *   plan must not change result type" (a process still running while another one migrates, during
 *   an upgrade). That query fails once; every name is then dropped, so the next queries are
 *   prepared afresh under new names (the old statements stay in the connections that prepared
 *   them until those close: the pool closes a connection idle for 10 s).
 */
export class StatementNames {
  private readonly named = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private generation = 0;

  constructor(
    private readonly after = 3,
    private readonly max = 256,
    private readonly maxCounted = 4096,
  ) {}

  /** The name to prepare `text` under, or null to send it unnamed. */
  nameFor(text: string): string | null {
    const name = this.named.get(text);
    if (name !== undefined) return name;
    if (this.named.size >= this.max) return null;
    const count = (this.seen.get(text) ?? 0) + 1;
    if (count < this.after) {
      if (this.seen.size >= this.maxCounted) this.seen.clear();
      this.seen.set(text, count);
      return null;
    }
    this.seen.delete(text);
    const fresh = `rezo_${this.generation}_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    this.named.set(text, fresh);
    return fresh;
  }

  /** After a schema change: every text gets a new name (the old statements are not used again). */
  forgetAll(): void {
    this.named.clear();
    this.seen.clear();
    this.generation++;
  }

  get size(): number {
    return this.named.size;
  }
}

/**
 * A pg.Client class whose `query(text, values)` (the form Kysely uses) runs hot statements as named
 * prepared statements. Every other form (scripts without values, query objects, cursors) is unchanged.
 */
export function preparingClient(names: StatementNames): typeof pg.Client {
  class PreparingClient extends pg.Client {}
  const plain = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  PreparingClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [text, values] = args;
    // Only statements with parameters: BEGIN, COMMIT and scripts cost little to parse.
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = names.nameFor(text);
      if (name) {
        return (plain.call(this, { text, values, name }) as Promise<unknown>).catch((error: unknown) => {
          if (
            (error as { code?: string; message?: string }).code === '0A000' &&
            /cached plan must not change result type/.test((error as Error).message)
          )
            names.forgetAll();
          throw error;
        });
      }
    }
    return plain.apply(this, args);
  } as typeof pg.Client.prototype.query;
  return PreparingClient;
}
