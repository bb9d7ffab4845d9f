import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture } from './fixtures/load.ts';
import { useNodeWithRemotes } from './testFixtures.ts';

/**
 * A Mobilizon group's Create of an Event through the real inbox over HTTP: the activity shaped like
 * Mobilizon's (its `@context` names litepub's, held locally), signed with node:crypto as Mobilizon
 * signs (draft-cavage, rsa-sha256, `(request-target) content-length date digest host`), its actor
 * served by a loopback server; the parsed fields are stored beside the raw JSON.
 */
const world = useNodeWithRemotes({ mobilizon: { path: '/@kabar_collectif', name: 'Kabar collectif', followed: true } });
describe("a Mobilizon group's Create through the inbox", () => {
  test('verified, parsed, stored with its fields; the raw JSON kept', async () => {
    const { node, remotes } = world;
    const remote = remotes.mobilizon;
    const body = JSON.stringify(fixture('mobilizon-create-event')).replaceAll('https://mobilizon.test', remote.origin);
    assert.equal(await remote.deliver(`${node.url}/ap/inbox`, body), 202);
    const rows = await node.db.selectFrom('federation_remote_events').selectAll().execute();
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.origin_actor, remote.actor);
    assert.equal(row.starts_at?.toISOString(), '2026-12-12T14:30:00.000Z');
    assert.deepEqual(row.tags, ['maloya', 'concert']);
    assert.equal(row.parsed?.name, "Kabar maloya au bord de l'eau");
    assert.equal(row.parsed?.timezone, 'Indian/Reunion');
    assert.equal(
      row.parsed?.place?.address,
      'Boulevard Leconte de Lisle, 97434 Saint-Gilles-les-Bains, La Réunion, France',
    );
    assert.equal(row.parsed?.ticketUrl, 'https://billetterie.test/kabar-maloya');
    assert.equal(row.parsed?.remainingCapacity, 37);
    assert.equal((row.raw as { startTime: string }).startTime, '2026-12-12T18:30:00+04:00');
  });
});
