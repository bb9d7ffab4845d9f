/**
 * CSV as spreadsheets write it (RFC 4180: commas or semicolons, double quotes, CRLF or LF).
 * Bounded: a file of more than `maxRows` rows is refused rather than read whole.
 */
export function parseCsv(text: string, maxRows = 10_000): string[][] {
  const input = text.replace(/^\uFEFF/, '');
  const firstLine = input.slice(0, input.search(/\r?\n|$/));
  // French spreadsheets export with semicolons.
  const sep = (firstLine.match(/;/g) ?? []).length > (firstLine.match(/,/g) ?? []).length ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === sep) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(cell);
      cell = '';
      if (row.some((v) => v.trim() !== '')) rows.push(row);
      row = [];
      if (rows.length > maxRows) throw new RangeError(`more than ${maxRows} rows`);
    } else cell += c;
  }
  row.push(cell);
  if (row.some((v) => v.trim() !== '')) rows.push(row);
  if (rows.length > maxRows) throw new RangeError(`more than ${maxRows} rows`);
  return rows;
}

/**
 * One CSV line. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed
 * with an apostrophe: exported names typed by the public must not become formulas.
 */
export function csvLine(cells: (string | number | null)[]): string {
  return (
    cells
      .map((value) => {
        let s = value === null ? '' : String(value);
        if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
        return /[",;\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}
