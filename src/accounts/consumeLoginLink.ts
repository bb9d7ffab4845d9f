import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import type { Language } from '../i18n/i18n.ts';
import { DomainError } from '../shared/errors.ts';
import { hashToken } from '../shared/secrets.ts';
import { ensurePerson, type Person } from './people.ts';
import { safeNextPath } from './requestLoginLink.ts';
import { createSession } from './sessions.ts';

export interface LoginResult {
  person: Person;
  sessionToken: string;
  nextPath: string | null;
  /** True when this login created the account. */
  created: boolean;
}

/**
 * Exchanges a login link for a session. The token is spent by one conditional UPDATE (unused and not
 * expired → used): of two concurrent uses exactly one gets the row back, the other is refused.
 * A first login creates the account; an address listed in REZO_OPERATORS becomes an operator.
 */
export async function consumeLoginLink(
  db: Db,
  config: Config,
  input: { token: unknown; language: Language },
): Promise<LoginResult> {
  const token = typeof input.token === 'string' ? input.token : '';
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new DomainError('login-link-invalid', 400);
  const tokenHash = hashToken(token);
  return inTransaction(db, async (trx) => {
    const spent = await trx
      .updateTable('login_tokens')
      .set({ used_at: sql<Date>`now()` })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning(['email', 'next_path'])
      .executeTakeFirst();
    if (!spent) {
      const row = await trx
        .selectFrom('login_tokens')
        .select(['used_at'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) throw new DomainError('login-link-invalid', 400);
      throw new DomainError(row.used_at ? 'login-link-used' : 'login-link-expired', 400);
    }
    const existed = await trx
      .selectFrom('people')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', spent.email.toLowerCase()))
      .executeTakeFirst();
    let person = await ensurePerson(trx, spent.email, input.language);
    if (!person.isOperator && config.operators.includes(person.email.toLowerCase())) {
      await trx.updateTable('people').set({ is_operator: true }).where('id', '=', person.id).execute();
      person = { ...person, isOperator: true };
    }
    const sessionToken = await createSession(trx, person.id, config.sessionTtlDays);
    // Checked again as it leaves: a link stored before the check was strict must not redirect off
    // the node, nor fail after the token is spent (a Location header cannot carry a newline).
    return { person, sessionToken, nextPath: safeNextPath(spent.next_path), created: !existed };
  });
}
