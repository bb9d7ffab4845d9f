import { sql, type Selectable } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { MailOutboxTable } from '../db/schema.ts';
import { attachmentsOf } from './attachmentRenderers.ts';
import { outboxSignal } from './queueMail.ts';

/** A mail is tried this many times (1, 2, 4, 8, 16 minutes apart) before it is marked failed. */
const MAX_ATTEMPTS = 6;
/** Mails claimed per round: bounded, so one round never holds much. */
const BATCH_SIZE = 20;
const INTERVAL_MS = 5_000;

export interface MailDelivery {
  /** Sends the mails that are due now; returns how many were sent. */
  flush(): Promise<number>;
  /** Asks for a flush soon (after a request that queued mail). */
  kick(): void;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Sends the outbox by SMTP. A round claims due mails in one statement by pushing their
 * `next_attempt_at` forward (the claim is also the retry backoff, and a lease: if the process dies
 * mid-send the mail becomes due again), sends them outside any transaction, then marks each sent.
 * `for update skip locked` keeps two node processes from claiming the same mail.
 * Without SMTP nothing is sent: mails stay in the outbox with status `kept` (shown at /dev/mail in
 * development) and each is written once to the log, so a person running a node can still log in.
 */
export function createMailDelivery(config: Config, db: Db, logger: Logger): MailDelivery {
  const transport: Transporter | null = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  /**
   * Claims up to BATCH_SIZE due mails in one statement: locks them (skipping those another process
   * holds), counts the attempt and pushes `next_attempt_at` forward by 2^(attempts before) minutes.
   * Returned with their new attempt count, oldest first (ids are time-ordered).
   */
  async function claim(): Promise<Selectable<MailOutboxTable>[]> {
    const due = transport ? sql`status = 'pending'` : sql`status = 'kept' and attempts = 0`;
    const { rows } = await sql<Selectable<MailOutboxTable>>`
      with due as (
        select id from mail_outbox
         where ${due} and next_attempt_at <= now()
         order by next_attempt_at
         limit ${BATCH_SIZE}
         for update skip locked)
      update mail_outbox m
         set attempts = m.attempts + 1, next_attempt_at = now() + make_interval(mins => power(2, m.attempts)::int)
        from due
       where m.id = due.id
      returning m.*`.execute(db);
    return rows.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  async function flushOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const batch = await claim();
      for (const mail of batch) {
        if (!transport) {
          logger.info(
            { mailId: mail.id, to: mail.to_address, subject: mail.subject, text: mail.text_body },
            'mail kept in the outbox (no SMTP_URL)',
          );
          continue;
        }
        try {
          const attachments = await attachmentsOf(db, mail.id);
          await transport.sendMail({
            from: config.mailFrom,
            to: mail.to_address,
            subject: mail.subject,
            text: mail.text_body,
            ...(mail.html_body ? { html: mail.html_body } : {}),
            ...(attachments.length > 0
              ? {
                  attachments: attachments.map((a) => ({
                    filename: a.filename,
                    contentType: a.contentType,
                    content: a.bytes,
                  })),
                }
              : {}),
          });
          await db
            .updateTable('mail_outbox')
            .set({ status: 'sent', sent_at: new Date(), error: null })
            .where('id', '=', mail.id)
            .execute();
          sent++;
        } catch (error) {
          const attempts = mail.attempts; // counted when claimed
          const message = (error as Error).message;
          await db
            .updateTable('mail_outbox')
            .set({ status: attempts >= MAX_ATTEMPTS ? 'failed' : 'pending', error: message.slice(0, 500) })
            .where('id', '=', mail.id)
            .execute();
          logger.warn({ mailId: mail.id, attempts, err: message }, 'mail delivery failed');
        }
      }
      if (batch.length < BATCH_SIZE) return sent;
    }
  }

  function flush(): Promise<number> {
    // One round at a time per process; a caller arriving during a round waits for it.
    running ??= flushOnce().finally(() => {
      running = null;
    });
    return running;
  }

  const flushLogged = () => flush().catch((err) => logger.error({ err }, 'mail flush failed'));
  let kickTimer: NodeJS.Immediate | null = null;
  // A round already in flight may have claimed before the kicking request's mail was committed:
  // wait for it, then run one more.
  const kickRound = async () => {
    kickTimer = null;
    if (running) await running.catch(() => {});
    await flushLogged();
  };

  return {
    flush,
    kick() {
      // Only when this process queued a mail since the last kick (a rolled-back one costs one empty round).
      if (!outboxSignal.queued) return;
      outboxSignal.queued = false;
      kickTimer ??= setImmediate(kickRound);
    },
    start() {
      if (timer) return;
      timer = setInterval(flushLogged, INTERVAL_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (kickTimer) clearImmediate(kickTimer);
      kickTimer = null;
      if (running) await running.catch(() => {});
      transport?.close();
    },
  };
}
