import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onPostgres, useTestDatabase } from '../../test/testDatabase.ts';
import { SYSTEM } from '../access/actor.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { publishEvent } from './publishEvent.ts';
import { MAX_PENDING_PROPOSALS, proposeEvent } from './proposeEvent.ts';
import { reviewProposal } from './reviewProposal.ts';
import { updateAgendaSettings } from './updateAgendaSettings.ts';
import { inDays, personNamed, venue } from './testFixtures.ts';

let db: Db;
let open: Awaited<ReturnType<typeof venue>>;
let closed: Awaited<ReturnType<typeof venue>>;
useTestDatabase(async (opened) => {
  db = opened.db;
  open = await venue(db, 'jardin-partage', { 'editor@example.org': 'editor', 'cashier@example.org': 'cashier' });
  closed = await venue(db, 'salle-fermee');
  await updateAgendaSettings(db, open.admin, { placeId: open.id, acceptsProposals: true });
});

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;
const proposal = (title: string) => ({
  placeId: open.id,
  title,
  visibility: 'private',
  dates: [{ startsAt: inDays(12) }],
});

describe('proposals', () => {
  test('a visitor proposes: a public draft with a pending proposal; an editor approves it and it is published', async () => {
    const visitor = await personNamed(db, 'visitor@example.org');
    const p = await proposeEvent(db, visitor, proposal('Troc de graines'));
    assert.equal(p.state, 'draft');
    assert.equal(p.visibility, 'public', 'a proposer cannot choose the visibility');
    assert.equal(p.proposalState, 'pending');
    assert.equal(p.proposedBy, visitor.personId);
    // Publishing directly would skip the review record.
    await assert.rejects(publishEvent(db, open.admin, { eventId: p.id }), code('agenda-transition'));
    const editor = await personNamed(db, 'editor@example.org');
    const approved = await reviewProposal(db, editor, { eventId: p.id, decision: 'approve' });
    assert.equal(approved.state, 'published');
    assert.equal(approved.proposalState, 'approved');
    await assert.rejects(reviewProposal(db, editor, { eventId: p.id, decision: 'reject' }), code('agenda-transition'));
  });

  test('a rejected proposal stays an invisible draft', async () => {
    const visitor = await personNamed(db, 'visitor2@example.org');
    const p = await proposeEvent(db, visitor, proposal('Spam'));
    const r = await reviewProposal(db, open.admin, { eventId: p.id, decision: 'reject' });
    assert.equal(r.state, 'draft');
    assert.equal(r.proposalState, 'rejected');
    await assert.rejects(publishEvent(db, open.admin, { eventId: p.id }), code('agenda-transition'));
  });

  test('refused: a closed venue, an API key, bad input, a cashier reviewing, a bad decision', async () => {
    const visitor = await personNamed(db, 'visitor3@example.org');
    await assert.rejects(
      proposeEvent(db, visitor, { ...proposal('Fermé'), placeId: closed.id }),
      code('agenda-proposals-closed'),
    );
    await assert.rejects(
      proposeEvent(db, { kind: 'apiKey', keyId: open.id, placeId: open.id, scopes: ['events:write'] }, proposal('Key')),
      code('unauthenticated'),
    );
    await assert.rejects(proposeEvent(db, visitor, { ...proposal(''), dates: [] }), code('validation'));
    const p = await proposeEvent(db, visitor, proposal('À revoir'));
    const cashier = await personNamed(db, 'cashier@example.org');
    await assert.rejects(reviewProposal(db, cashier, { eventId: p.id, decision: 'approve' }), code('forbidden'));
    await assert.rejects(reviewProposal(db, open.admin, { eventId: p.id, decision: 'maybe' }), code('validation'));
    await updateAgendaSettings(db, open.admin, { placeId: open.id, acceptsProposals: false });
    await assert.rejects(proposeEvent(db, visitor, proposal('Plus maintenant')), code('agenda-proposals-closed'));
    await updateAgendaSettings(db, SYSTEM, { placeId: open.id, acceptsProposals: true });
    await assert.rejects(
      updateAgendaSettings(db, open.admin, { placeId: open.id, acceptsProposals: 'yes' }),
      code('validation'),
    );
  });

  test(`at most ${MAX_PENDING_PROPOSALS} pending proposals per person and venue`, async () => {
    const visitor = await personNamed(db, 'busy@example.org');
    for (let i = 0; i < MAX_PENDING_PROPOSALS; i++) await proposeEvent(db, visitor, proposal(`Idée ${i}`));
    await assert.rejects(proposeEvent(db, visitor, proposal('Une de trop')), code('agenda-too-many-proposals'));
  });

  test('concurrent proposals cannot pass the bound', { skip: !onPostgres && 'needs PostgreSQL' }, async () => {
    const visitor = await personNamed(db, 'racer@example.org');
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => proposeEvent(db, visitor, proposal(`Course ${i}`))),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, MAX_PENDING_PROPOSALS);
  });
});
