import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { loadNodeKey, verifyText } from '../ledger/nodeKey.ts';
import { settledItems } from '../ledger/settlementPositions.ts';
import { markPaid } from './markPaid.ts';
import { runSettlement } from './runSettlement.ts';
import { statementCsv } from './statementCsv.ts';
import { statementPdf } from './statementPdf.ts';
import { statementMessage } from './statementSignature.ts';
import { getStatement } from './statements.ts';
import { createSettlementWorld, mintAtVenue } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

/** The text of an uncompressed pdfkit PDF: hex strings of WinAnsi codes in TJ arrays, split at kerning pairs. */
const textOf = (pdf: Buffer) =>
  [...pdf.toString('latin1').matchAll(/\[([^\]]*)\] TJ/g)]
    .map((m) =>
      [...m[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''),
    )
    .join('\n');

test('the signed PDF: figures, outcome, VAT mention, and the exact signed message with a signature that verifies', async () => {
  const w = await createSettlementWorld(t);
  const card = await w.card(10_000);
  await w.barSale(card, 3);
  await mintAtVenue(t, w.euro, w.venueA.id, 200);
  await new Promise((r) => setTimeout(r, 5));
  const { statements } = await runSettlement(t.db, SYSTEM, { federation: w.federation.slug, until: new Date() });
  const a0 = statements.find((s) => s.placeId === w.venueA.id)!;
  await markPaid(t.db, SYSTEM, { statementId: a0.id, reference: 'VIR-PDF-1', paidOn: '2025-03-04' }, new Date());
  const a = await getStatement(t.db, SYSTEM, a0.id);
  const text = textOf(
    await statementPdf(t.db, a, {
      lang: 'fr',
      timeZone: 'Indian/Reunion',
      baseUrl: 'http://node.test',
      compress: false,
    }),
  );
  for (const expected of [
    'Relevé de règlement',
    a.reference,
    'Ventes à la caisse',
    'Recharges encaissées pour la fédération',
    '10,50',
    '-2,00',
    '8,50',
    'VIR-PDF-1',
    'TVA non applicable',
    'http://node.test/api/v1/ledger/key',
  ])
    assert.ok(text.includes(expected), `${expected} in\n${text}`);
  const lines = text.split('\n');
  const message = statementMessage(a);
  const printed = lines
    .filter((l) => l.startsWith('rezo-settlement') || (message.includes(l) && l.length > 20))
    .join('');
  assert.ok(printed.includes(message), `the signed message is printed whole:\n${printed}\n${message}`);
  const key = await loadNodeKey(t.db);
  assert.ok(verifyText(key.publicKey, message, a.signature));
  assert.ok(lines.join('').includes(a.signature), 'the signature is printed');

  // The CSV of the same statement: one line per item between the balances, then the payout.
  const csv = statementCsv(a, await settledItems(t.db, a.id), 'Indian/Reunion', 'fr')
    .trim()
    .split('\r\n');
  assert.equal(csv.length, 1 + 1 + 2 + 1 + 1);
  assert.match(csv[1]!, /;Solde d’ouverture;;0,00;$/);
  assert.match(csv[2]!, /;Ventes à la caisse — [0-9a-f-]{36};;10,50;TVA non applicable$/);
  assert.match(
    csv[3]!,
    /;Recharges encaissées pour la fédération — cash:counter-[0-9a-f-]{36};2,00;;TVA non applicable$/,
  );
  assert.match(csv[4]!, /;Solde de clôture;;8,50;$/);
  assert.match(csv[5]!, /^04\/03\/2025;[^;]+;VIR-PDF-1;Versement au lieu \(virement SEPA\);8,50;;$/);
});
