import { readFile } from 'node:fs/promises';
import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { translate } from '../i18n/i18n.ts';
import { importCards } from './importCards.ts';

/**
 * `rezo cards import <file.csv> --name "…" [--check]`: the operator's import from the command line,
 * with the same rules as /admin/cards (all or nothing). Prints the refused rows and exits 1 when
 * any; 0 when the batch was imported (or, with --check, would be).
 */
export async function cardsCommand(
  db: Db,
  input: { file: string; name: string; check: boolean },
  out: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  let csv: string;
  try {
    csv = await readFile(input.file, 'utf8');
  } catch (error) {
    out.stderr(`rezo: cannot read ${input.file}: ${(error as Error).message}\n`);
    return 1;
  }
  const report = await importCards(db, SYSTEM, { name: input.name, csv, apply: !input.check });
  if (report.rejected.length > 0) {
    for (const r of report.rejected)
      out.stderr(`line ${r.line}: ${translate('en', `cards.import.${r.reason}`, r.params)}\n`);
    out.stderr(`rezo: ${report.rejected.length} row(s) refused; nothing was imported\n`);
    return 1;
  }
  out.stdout(
    report.imported
      ? `${report.accepted} card(s) imported in batch "${input.name}" (${report.batchId})\n`
      : `${report.accepted} card(s) ready to import; nothing written (--check)\n`,
  );
  return 0;
}
