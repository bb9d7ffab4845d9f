import type { Db } from '../../db/database.ts';
import { logOrigin, logVerifierKey, witnessName, witnessVerifierKey } from './identity.ts';

/** The reads behind GET /ledger/logs and /ledger/<CODE>/checkpoint (docs/FEDERATION.md, "Checkpoints"). */

export interface LogCosignature {
  witness: string;
  cosignedAt: Date;
  signatureLine: string;
}

export interface LogView {
  currencyCode: string;
  currencyId: string;
  origin: string;
  verifierKey: string;
  size: number;
  rootHex: string;
  signedAt: Date;
  note: string;
  cosignatures: LogCosignature[];
}

/** Each currency's latest log checkpoint and the witnesses that cosigned it. */
export async function listLogs(db: Db, baseUrl: string, currencyCode?: string): Promise<LogView[]> {
  let q = db
    .selectFrom('ledger_log_checkpoints as k')
    .innerJoin('ledger_currencies as c', 'c.id', 'k.currency_id')
    .distinctOn('k.currency_id')
    .select(['c.code', 'c.id', 'k.size', 'k.root_hash', 'k.signed_at', 'k.note'])
    .orderBy('k.currency_id')
    .orderBy('k.size', 'desc');
  if (currencyCode) q = q.where('c.code', '=', currencyCode);
  const latest = (await q.execute()).sort((a, b) => a.code.localeCompare(b.code));
  const out: LogView[] = [];
  for (const r of latest) {
    const origin = logOrigin(baseUrl, r.code);
    const cosignatures = await db
      .selectFrom('ledger_log_cosignatures')
      .select(['witness_name', 'cosigned_at', 'signature_line'])
      .where('currency_id', '=', r.id)
      .where('size', '=', r.size)
      .orderBy('witness_name')
      .execute();
    out.push({
      currencyCode: r.code,
      currencyId: r.id,
      origin,
      verifierKey: await logVerifierKey(db, origin),
      size: Number(r.size),
      rootHex: r.root_hash,
      signedAt: r.signed_at,
      note: r.note,
      cosignatures: cosignatures.map((c) => ({
        witness: c.witness_name,
        cosignedAt: c.cosigned_at,
        signatureLine: c.signature_line,
      })),
    });
  }
  return out;
}

/** The latest checkpoint with every cosignature appended (a signed note carries any number of them). */
export function noteWithCosignatures(log: LogView): string {
  return log.note + log.cosignatures.map((c) => `${c.signatureLine}\n`).join('');
}

/** What the node publishes about itself as a witness. */
export async function witnessIdentity(db: Db, baseUrl: string): Promise<{ name: string; verifierKey: string }> {
  return { name: witnessName(baseUrl), verifierKey: await witnessVerifierKey(db, baseUrl) };
}

/** A currency id by code (the routes take codes). */
export async function currencyIdOf(db: Db, code: string): Promise<string | undefined> {
  const row = await db.selectFrom('ledger_currencies').select('id').where('code', '=', code).executeTakeFirst();
  return row?.id;
}
