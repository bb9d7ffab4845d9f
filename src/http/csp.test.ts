import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';
import type { LightMyRequestResponse } from 'fastify';
import { SYSTEM } from '../access/actor.ts';
import { DEMO_ADMIN_EMAIL, loadDemo } from '../demo/loadDemo.ts';
import { closeDay } from '../till/closeDay.ts';

let t: TestNode;
let admin: Client;
/** The page that shows a new pairing code and its QR (the answer to the form, not reachable by a link). */
let pairing: LightMyRequestResponse;
before(async () => {
  t = await createTestNode();
  assert.equal(await loadDemo(t.db, t.config), true);
  admin = await t.loginAs(DEMO_ADMIN_EMAIL);
  await admin.get('/venues/la-fabrik/admin/devices');
  pairing = await admin.postForm('/venues/la-fabrik/admin/devices/pairings', { kind: 'till', name: 'Bar' });
  // A closed day, so that a Z report (with its print button and print styles) is reachable.
  const fabrik = await t.db.selectFrom('places').select('id').where('slug', '=', 'la-fabrik').executeTakeFirstOrThrow();
  const point = await t.db
    .selectFrom('pos_points')
    .select('id')
    .where('place_id', '=', fabrik.id)
    .executeTakeFirstOrThrow();
  await closeDay(t.db, SYSTEM, {
    placeId: fabrik.id,
    pointId: point.id,
    businessDay: '2025-01-02',
    countedCashCents: 0,
  });
});
after(() => t.close());

/** What a strict policy forbids in the page itself: inline scripts, handler attributes, style attributes. */
function inlineCode(page: string, nonce: string | undefined): string[] {
  const found: string[] = [];
  for (const m of page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const attrs = m[1]!;
    const data = /type="application\/(ld\+)?json"/.test(attrs);
    if (!/\bsrc=/.test(attrs) && !data) found.push(`inline script: ${m[0].slice(0, 80)}`);
  }
  for (const m of page.matchAll(/<[a-z][^>]*\s(on[a-z]+|style)\s*=\s*["'][^>]*>/gi))
    found.push(`${m[1]} attribute: ${m[0].slice(0, 100)}`);
  for (const m of page.matchAll(/<style\b([^>]*)>/gi))
    if (!nonce || !m[1]!.includes(`nonce="${nonce}"`)) found.push(`style block without this answer's nonce`);
  return found;
}

describe('Content-Security-Policy of the pages', () => {
  test('every page reachable by links as the demo admin has a strict policy and no inline script or style', async () => {
    const seen = new Set<string>();
    const queue = ['/', '/agenda', '/account', '/wallet', '/venues/la-fabrik/admin', '/till', '/admin'];
    const closures = await t.db.selectFrom('places').select('slug').execute();
    for (const { slug } of closures) queue.push(`/venues/${slug}/admin/till/closures`);
    const faults: string[] = [];
    let pages = 0;
    while (queue.length > 0 && pages < 220) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const r = await admin.get(url);
      if (!String(r.headers['content-type']).startsWith('text/html')) continue;
      pages++;
      const policy = String(r.headers['content-security-policy'] ?? '');
      if (!policy) {
        faults.push(`${url}: no Content-Security-Policy`);
        continue;
      }
      if (!/frame-ancestors \*/.test(policy)) {
        // The node's own policy (the embed has its own, for other sites to frame it).
        for (const directive of ["script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'"])
          if (!policy.includes(directive)) faults.push(`${url}: policy without ${directive}`);
        if (/unsafe-inline|unsafe-eval/.test(policy)) faults.push(`${url}: unsafe policy ${policy}`);
      }
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
      for (const f of inlineCode(r.body, nonce)) faults.push(`${url}: ${f}`);
      for (const m of r.body.matchAll(/href="(\/[^"#]*)"/g)) {
        const link = m[1]!.replace(/&amp;/g, '&');
        if (/[?&]lang=|\/logout|\.csv|\.pdf|\.ics|\.json|\/static\/|\/media\/|\/api\//.test(link)) continue;
        if (!seen.has(link)) queue.push(link);
      }
    }
    assert.match(pairing.body, /<svg/, 'the pairing page shows its QR');
    const pairingNonce = /'nonce-([^']+)'/.exec(String(pairing.headers['content-security-policy']))?.[1];
    for (const f of inlineCode(pairing.body, pairingNonce)) faults.push(`pairing page: ${f}`);
    assert.ok(
      [...seen].some((u) => /\/admin\/till\/closures\/[0-9a-f-]{36}$/.test(u)),
      'a Z report was visited',
    );
    assert.ok(pages > 60, `${pages} pages visited`);
    assert.deepEqual(faults, []);
  });

  test('the embeddable agenda keeps its own policy; the API documentation its own', async () => {
    const embed = await t.app.inject('/venues/la-fabrik/embed?theme=dark');
    assert.equal(embed.statusCode, 200);
    assert.match(String(embed.headers['content-security-policy']), /frame-ancestors \*/);
    assert.deepEqual(inlineCode(embed.body, undefined), []);
    let docs = await t.app.inject('/api/docs');
    if (docs.statusCode >= 300 && docs.statusCode < 400)
      docs = await t.app.inject(String(docs.headers.location).replace(/^\.\//, '/api/docs/'));
    assert.doesNotMatch(String(docs.headers['content-security-policy']), /form-action 'self' https:\/\/checkout/);
  });
});
