/**
 * What the node's PDFs (tickets, settlement statements) share: text the standard fonts can draw, and
 * the document's bytes once it ends.
 */

/**
 * The PDF's standard fonts are WinAnsi: the narrow no-break space and the minus sign of French number
 * formats are not in it; the ordinary no-break space and the hyphen are.
 */
export const winAnsi = (s: string): string => s.replace(/\u202f/g, '\u00a0').replace(/\u2212/g, '-');

/** The bytes of a pdfkit document, collected from the moment this is called until `doc.end()`. */
export function pdfBytes(doc: NodeJS.EventEmitter): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}
