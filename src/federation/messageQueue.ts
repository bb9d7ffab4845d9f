import type { MessageQueue, MessageQueueEnqueueOptions, MessageQueueListenOptions } from '@fedify/fedify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

const POLL_MS = 200;

/**
 * Fedify's message queue on Rezo's database (federation_queue). A message is claimed by deleting it
 * (`for update skip locked`: each message goes to one listener across processes) once its delay has
 * passed; `listen` polls until its signal aborts, and an enqueue in this process wakes it at once.
 *
 * Not given to Fedify today: its outbox messages carry the sender's private keys, so Rezo delivers
 * through its own federation_outbox and answers inbox activities inside the request (docs/FEDERATION.md,
 * "Implementation notes"). Kept for the day a queue is wanted.
 */
export class KyselyMessageQueue implements MessageQueue {
  private wake: (() => void) | null = null;
  constructor(private readonly db: Db) {}

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueMany([message], options);
  }

  async enqueueMany(messages: unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    const delayMs = options?.delay ? Math.max(0, options.delay.total('millisecond')) : 0;
    const notBefore = new Date(Date.now() + delayMs);
    await this.db
      .insertInto('federation_queue')
      .values(messages.map((m) => ({ message: JSON.stringify(m), not_before: notBefore })))
      .execute();
    this.wake?.();
  }

  /** Takes the next due message, or undefined. */
  async take(): Promise<unknown> {
    const result = await sql<{ message: unknown }>`
      delete from federation_queue where id = (
        select id from federation_queue where not_before <= now() order by id limit 1 for update skip locked
      ) returning message`.execute(this.db);
    return result.rows[0]?.message;
  }

  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options?: MessageQueueListenOptions,
  ): Promise<void> {
    const signal = options?.signal;
    while (!signal?.aborted) {
      const message = await this.take();
      if (message !== undefined) {
        await handler(message);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, POLL_MS);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        this.wake = done;
        signal?.addEventListener('abort', done);
      });
      this.wake = null;
    }
  }
}
