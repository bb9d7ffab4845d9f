import type { Db } from '../../db/database.ts';
import { DomainError, type FieldError } from '../../shared/errors.ts';
import { privateHost } from '../../webhooks/index.ts';
import { SIGNATURE_TYPE, decodeVerifierKey } from '../tlog/signedNote.ts';
import { TlogError } from '../tlog/tlogError.ts';
import { currencyOfOrigin } from './identity.ts';

export interface PeerInput {
  /** The peer node's base URL (`https://peer.example`, port included when it has one). */
  url: string;
  /** The peer's witness verifier key (`<host>/rezo/witness+…`, type 0x04): checks its cosignatures of our logs. */
  witnessKey: string;
  /** The peer's ledger log verifier keys (`<host>/rezo/ledger/<CODE>+…`, type 0x01): the logs we witness. */
  logKeys: string[];
}

/**
 * An operator pins a peer node (docs/FEDERATION.md, "Witnesses"; docs/OPERATIONS.md): its witness key
 * (so our checkpoints are sent to it and its cosignatures checked) and its logs' keys (so we cosign
 * them; only pinned logs are cosigned). The keys are given by the operator, compared out of band —
 * never fetched from the peer. Pinning again replaces the URL and keys and keeps what was cosigned
 * when a log's key is unchanged. Production refuses private peer addresses (like webhook receivers).
 */
export async function pinPeer(db: Db, input: PeerInput, options: { allowPrivate: boolean }): Promise<void> {
  const errors: FieldError[] = [];
  const url = peerUrl(input.url, options.allowPrivate);
  if (!url) errors.push({ field: 'url', message: 'ledger.peer-url' });
  const witness = decodeKey(input.witnessKey, SIGNATURE_TYPE.cosignatureV1);
  if (!witness || !/\/rezo\/witness$/.test(witness.name))
    errors.push({ field: 'witnessKey', message: 'ledger.peer-key' });
  const logs = input.logKeys.map((k) => ({ key: k, decoded: decodeKey(k, SIGNATURE_TYPE.ed25519) }));
  if (logs.length > 100 || logs.some((l) => !l.decoded || !currencyOfOrigin(l.decoded.name)))
    errors.push({ field: 'logKeys', message: 'ledger.peer-key' });
  if (errors.length > 0 || !url || !witness) throw new DomainError('validation', 422, {}, errors);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('ledger_log_witnesses')
      .values({ name: witness.name, verifier_key: input.witnessKey, url })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ verifier_key: input.witnessKey, url, attempts: 0, next_attempt_at: new Date() }),
      )
      .execute();
    for (const log of logs) {
      await trx
        .insertInto('ledger_witness_logs')
        .values({ origin: log.decoded!.name, verifier_key: log.key, peer_url: url })
        .onConflict((oc) => oc.column('origin').doUpdateSet({ peer_url: url }))
        .execute();
      // A new key for a known log is a new log to the witness: never silently (see the operations guide).
      const kept = await trx
        .selectFrom('ledger_witness_logs')
        .select('verifier_key')
        .where('origin', '=', log.decoded!.name)
        .executeTakeFirstOrThrow();
      if (kept.verifier_key !== log.key)
        throw new DomainError('validation', 422, {}, [{ field: 'logKeys', message: 'ledger.peer-key-changed' }]);
    }
  });
}

function peerUrl(raw: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (!['http:', 'https:'].includes(u.protocol) || u.username || u.password || u.search || u.hash) return null;
  if (!allowPrivate && (u.protocol !== 'https:' || privateHost(u.hostname))) return null;
  return u.origin;
}

function decodeKey(vkey: string, type: number) {
  try {
    const k = decodeVerifierKey(vkey);
    return k.type === type && k.publicKey.length === 32 ? k : null;
  } catch (error) {
    if (error instanceof TlogError) return null;
    throw error;
  }
}
