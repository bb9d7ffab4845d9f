import type { Db } from '../db/database.ts';
import { randomToken } from '../shared/secrets.ts';

/**
 * The node's secret (CSRF tokens and other HMACs). Made once, on first start, and kept in the
 * database, so every process of the node shares it and it survives restarts without configuration.
 * `on conflict do nothing` makes two processes starting together agree on the first one written.
 */
export async function loadNodeSecret(db: Db): Promise<string> {
  await db
    .insertInto('node_settings')
    .values({ key: 'secret', value: randomToken(48) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('node_settings')
    .select('value')
    .where('key', '=', 'secret')
    .executeTakeFirstOrThrow();
  return row.value;
}

/** A node setting (node_settings), or undefined. */
export async function readNodeSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('node_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Writes a node setting unless it exists (the first writer wins: `on conflict do nothing`). */
export async function insertNodeSettingOnce(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('node_settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}
