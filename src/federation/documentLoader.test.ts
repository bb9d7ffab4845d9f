import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetchDocument, MAX_DOCUMENT_BYTES } from './documentLoader.ts';
import { fakeRemote, type FakeRemote } from './testFixtures.ts';

/** The limits of every fetched document (docs/FEDERATION.md, "Moderation and limits", "Private networks"). */
let remote: FakeRemote;
before(async () => {
  remote = await fakeRemote({ path: '/actor' });
});
after(async () => remote?.close());

describe('fetchDocument', () => {
  test('a document up to 1 MiB is read; one byte more is refused', async () => {
    const pad = (size: number) => JSON.stringify({ id: 'x', pad: 'a'.repeat(size - 19) });
    const fits = pad(MAX_DOCUMENT_BYTES);
    assert.equal(Buffer.byteLength(fits), MAX_DOCUMENT_BYTES);
    remote.documents.set('/fits', fits);
    remote.documents.set('/over', pad(MAX_DOCUMENT_BYTES + 1));
    const read = await fetchDocument(`${remote.origin}/fits`, { allowPrivate: true });
    assert.equal((read.document as { id: string }).id, 'x');
    await assert.rejects(fetchDocument(`${remote.origin}/over`, { allowPrivate: true }), /over 1048576 bytes/);
  });

  test('in production a loopback address is refused before any connection; in tests it is fetched', async () => {
    const before = remote.gets.length;
    await assert.rejects(fetchDocument(remote.actor, { allowPrivate: false }), /private address/);
    await assert.rejects(
      fetchDocument(`http://localhost:${new URL(remote.origin).port}/actor`, { allowPrivate: false }),
    );
    assert.equal(remote.gets.length, before, 'nothing reached the server');
    const read = await fetchDocument(remote.actor, { allowPrivate: true });
    assert.equal((read.document as { id: string }).id, remote.actor);
    await assert.rejects(fetchDocument('file:///etc/passwd', { allowPrivate: true }), /file: is not fetched/);
  });
});
