import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import { translate, type Language } from '../i18n/i18n.ts';
import { queueMail } from '../mail/index.ts';
import { DomainError } from '../shared/errors.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { findPersonByEmail, requireEmail } from './people.ts';

/** At most this many login links per address per window: a mailbox cannot be flooded. */
export const LOGIN_LINKS_PER_WINDOW = 5;
export const LOGIN_WINDOW_MINUTES = 15;

export interface RequestLoginLinkInput {
  /** The address typed by the person; the account is created at first login if it does not exist. */
  email: unknown;
  /** Local path to open after login (anything else is dropped). */
  nextPath?: string | undefined;
  /** Language of the page the request came from, for a person we do not know yet. */
  language: Language;
  ip?: string | undefined;
  /** false for the CLI and invitations: the link is printed or sent in another mail. */
  sendMail?: boolean;
  /** How long the link stays valid; the node's login setting by default (invitations get longer). */
  ttlMinutes?: number;
}

/**
 * Makes a single-use login link valid `loginTokenTtlMinutes` and mails it. Only the token's SHA-256
 * is stored. The answer is the same whether or not the address has an account, so the form does not
 * tell strangers who is registered.
 */
export async function requestLoginLink(
  db: Db,
  config: Config,
  input: RequestLoginLinkInput,
): Promise<{ url: string; email: string }> {
  const email = requireEmail(input.email);
  const nextPath = safeNextPath(input.nextPath);
  const token = randomToken();
  const url = `${config.baseUrl}/login/${token}`;
  await inTransaction(db, async (trx) => {
    if (input.sendMail !== false) {
      // Serialise requests for one address so the count below cannot be raced past the limit.
      await takeLocks(trx, { space: 'login', keys: [email] });
      const recent = await trx
        .selectFrom('login_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
        .where('requested', '=', true)
        .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})`)
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= LOGIN_LINKS_PER_WINDOW) {
        throw new DomainError('too-many-login-links', 429, { minutes: LOGIN_WINDOW_MINUTES });
      }
    }
    await trx
      .insertInto('login_tokens')
      .values({
        token_hash: hashToken(token),
        email,
        next_path: nextPath,
        expires_at: sql<Date>`now() + make_interval(mins => ${input.ttlMinutes ?? config.loginTokenTtlMinutes})`,
        request_ip: input.ip ?? null,
        requested: input.sendMail !== false,
      })
      .execute();
    if (input.sendMail === false) return;
    const person = await findPersonByEmail(trx, email);
    const lang = person?.language ?? input.language;
    const params = { territory: config.territoryName, link: url, minutes: config.loginTokenTtlMinutes };
    await queueMail(
      trx,
      {
        to: email,
        language: lang,
        subject: translate(lang, 'mail.login.subject', params),
        text: translate(lang, 'mail.login.text', params),
      },
      Boolean(config.smtpUrl),
    );
  });
  return { url, email };
}

/** Any origin will do: the check only needs to see whether parsing the path leaves the node. */
const SAME_ORIGIN = 'http://rezo.invalid';

/**
 * Only same-site paths: an open redirect after login would make the link a phishing tool. A next path
 * is made only of printable ASCII without a backslash (browsers drop tabs and newlines from a URL and
 * read "\" as "/", so "/\t/evil.example" means "//evil.example"; a newline cannot even be sent in a
 * Location header), starts with one "/", and stays on the node's origin once parsed as a URL against
 * it — the parsed form is what is returned, so "/../..//evil.example" cannot become "//evil.example".
 * Anything else is null: the caller falls back to its default page.
 */
export function safeNextPath(path: unknown): string | null {
  if (typeof path !== 'string' || path.length > 500 || !/^\/[\x21-\x7e]*$/.test(path) || path.includes('\\'))
    return null;
  let url: URL;
  try {
    url = new URL(path, SAME_ORIGIN);
  } catch {
    return null;
  }
  const local = url.pathname + url.search;
  if (url.origin !== SAME_ORIGIN || !local.startsWith('/') || local.startsWith('//')) return null;
  return local;
}
