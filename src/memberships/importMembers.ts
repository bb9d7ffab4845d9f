import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { isEmail } from '../config.ts';
import { ensurePerson, nameIfUnnamed } from '../accounts/index.ts';
import { DomainError } from '../shared/errors.ts';
import { parseCsv } from '../shared/csv.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { MANUAL_METHODS, insertMembership, type ManualMethod } from './addMembership.ts';
import { productsOf } from './products.ts';
import { isDay, today } from './validity.ts';

export const IMPORT_MAX_ROWS = 5000;
/** The columns read; `email` and `product` are required, the others optional. */
type Column = 'email' | 'name' | 'product' | 'starts_on' | 'method' | 'amount' | 'note';

export interface ImportRow {
  line: number;
  email: string;
  name: string;
  product: string;
  startsOn: string;
  method: ManualMethod | 'import';
  amountCents: number;
}

export interface ImportReport {
  accepted: ImportRow[];
  rejected: { line: number; reason: string; params?: Record<string, string | number> }[];
  imported: boolean;
}

/**
 * Imports members from a CSV (columns: email, name, product, starts_on, method, amount, note; the
 * first line names them). `apply: false` is the preview: every row checked, nothing written.
 * `apply: true` writes the accepted rows all together in one transaction, or none; rejected rows
 * are reported with their line and reason (catalogue key `import.<reason>`).
 */
export async function importMembers(
  db: Db,
  _config: Config,
  actor: Actor,
  input: { slug: string; csv: string; apply: boolean },
): Promise<ImportReport> {
  let rows: string[][];
  try {
    rows = parseCsv(input.csv, IMPORT_MAX_ROWS + 1);
  } catch {
    throw new DomainError('validation', 422, {}, [
      { field: 'file', message: 'csv-too-long', params: { max: IMPORT_MAX_ROWS } },
    ]);
  }
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: Column) => header.indexOf(name);
  if (col('email') < 0 || col('product') < 0)
    throw new DomainError('validation', 422, {}, [{ field: 'file', message: 'csv-header' }]);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const products = await productsOf(trx, place.id);
    const byName = new Map(
      products.flatMap(
        (p) =>
          [
            [p.name.toLowerCase(), p],
            [p.id, p],
          ] as const,
      ),
    );
    const report: ImportReport = { accepted: [], rejected: [], imported: false };
    const seen = new Set<string>();
    const cell = (row: string[], name: Column) => (col(name) >= 0 ? (row[col(name)] ?? '').trim() : '');
    rows.slice(1).forEach((row, i) => {
      const line = i + 2;
      const email = cell(row, 'email').toLowerCase();
      const product = byName.get(cell(row, 'product').toLowerCase());
      const startsOn = cell(row, 'starts_on') || today(place.timezone);
      const methodRaw = cell(row, 'method') || 'import';
      const amountRaw = cell(row, 'amount');
      const amountCents = amountRaw ? parseEuros(amountRaw) : 0;
      const reject = (reason: string, params?: Record<string, string | number>) =>
        report.rejected.push({ line, reason, ...(params ? { params } : {}) });
      if (!isEmail(email)) return reject('email');
      if (!product) return reject('product', { product: cell(row, 'product') });
      if (!isDay(startsOn)) return reject('date', { value: startsOn });
      if (methodRaw !== 'import' && !MANUAL_METHODS.includes(methodRaw as ManualMethod))
        return reject('method', { value: methodRaw });
      if (amountCents === null || amountCents > MAX_AMOUNT_MINOR) return reject('amount', { value: amountRaw });
      const key = `${email}|${product.id}|${startsOn}`;
      if (seen.has(key)) return reject('duplicate');
      seen.add(key);
      report.accepted.push({
        line,
        email,
        name: cell(row, 'name').slice(0, 100),
        product: product.id,
        startsOn,
        method: methodRaw as ManualMethod | 'import',
        amountCents,
      });
    });
    if (!input.apply || report.accepted.length === 0) return report;
    for (const r of report.accepted) {
      const person = await ensurePerson(trx, r.email, place.language);
      if (!person.name && r.name) await nameIfUnnamed(trx, person.id, r.name);
      const product = products.find((p) => p.id === r.product)!;
      await insertMembership(trx, place, product, {
        personId: person.id,
        startsOn: r.startsOn,
        status: 'active',
        amountCents: r.amountCents,
        method: r.method,
        note: '',
        createdBy: actor.kind === 'person' ? actor.personId : null,
        paymentId: null,
      });
    }
    await audit(trx, actor, {
      placeId: place.id,
      action: 'membership.imported',
      data: { accepted: report.accepted.length, rejected: report.rejected.length },
    });
    report.imported = true;
    return report;
  });
}
