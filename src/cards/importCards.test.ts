import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { DomainError } from '../shared/errors.ts';
import { findCardByToken, findCardByUid, hashQrToken } from './cards.ts';
import { cardsCommand } from './cardsCommand.ts';
import { importCards, listCardBatches } from './importCards.ts';
import { cardLine, csvOf } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

const counts = async () => {
  const r = await sql<{
    cards: number;
    batches: number;
  }>`select (select count(*)::int from cards) as cards, (select count(*)::int from card_batches) as batches`.execute(
    t.db,
  );
  return r.rows[0]!;
};
const isValidation = (field: string, message?: string) => (e: unknown) =>
  e instanceof DomainError &&
  e.code === 'validation' &&
  e.fields.some((f) => f.field === field && (!message || f.message === message));

describe('importCards', () => {
  test('a good file: preview writes nothing, import stores the cards with only the hash of each token', async () => {
    const lines = [cardLine(), cardLine(), cardLine()];
    lines[0]!.uid = lines[0]!.uid.toLowerCase().match(/../g)!.join(':'); // 04:a1:… is accepted
    lines[1]!.uid = lines[1]!.uid.match(/../g)!.join(' ');
    lines[2]!.uid = 'DEADBEEF'; // 4 bytes
    lines.push({ ...cardLine(), uid: '04-A2-B3-C4-D5-E6-F7-08-09-0A' }); // 10 bytes
    const before = await counts();
    const preview = await importCards(t.db, SYSTEM, { name: 'Festival 2026', csv: csvOf(lines), apply: false });
    assert.deepEqual(preview, { accepted: 4, rejected: [], imported: false, batchId: null });
    assert.deepEqual(await counts(), before);

    const done = await importCards(t.db, SYSTEM, { name: 'Festival 2026', csv: csvOf(lines), apply: true });
    assert.equal(done.imported, true);
    assert.equal(done.accepted, 4);
    assert.deepEqual(await counts(), { cards: before.cards + 4, batches: before.batches + 1 });
    assert.equal((await findCardByUid(t.db, '04A2B3C4D5E6F708090A'))!.number, lines[3]!.number);
    const first = await findCardByUid(t.db, lines[0]!.uid);
    assert.equal(first!.uid, lines[0]!.uid.replace(/:/g, '').toUpperCase());
    assert.equal(first!.status, 'active');
    assert.equal(first!.personId, null);
    assert.equal((await findCardByUid(t.db, 'de:ad:be:ef'))!.number, lines[2]!.number);
    // The token itself is nowhere in the database, only its SHA-256.
    const row = await t.db.selectFrom('cards').selectAll().where('id', '=', first!.id).executeTakeFirstOrThrow();
    assert.equal(row.qr_token_sha256, hashQrToken(lines[0]!.token));
    assert.ok(!JSON.stringify(row).includes(lines[0]!.token));
    assert.equal((await findCardByToken(t.db, lines[0]!.token))!.id, first!.id);
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'subject_id'])
      .where('action', '=', 'cards.imported')
      .where('subject_id', '=', done.batchId)
      .execute();
    assert.equal(audit.length, 1);
  });

  test('bad rows are each reported with their line and reason, and nothing is written (all or nothing)', async () => {
    const good = cardLine();
    const rows = [
      good,
      { ...cardLine(), uid: '04A2B3' }, // 3 bytes
      { ...cardLine(), uid: 'ZZ112233' }, // not hex
      { ...cardLine(), token: 'short-token' }, // 11 chars
      { ...cardLine(), token: 'has spaces in the token!!' },
      { ...cardLine(), number: '' },
      { ...cardLine(), uid: good.uid.toLowerCase() }, // same UID as line 2
      { ...cardLine(), number: good.number.toLowerCase() }, // same number as line 2 (case ignored)
      { ...cardLine(), token: good.token }, // same token as line 2
      { ...cardLine(), number: 'N\u00071' }, // a control character
      { ...cardLine(), uid: '04A2B3C4D5E6F708' }, // 8 bytes
    ];
    const before = await counts();
    for (const apply of [false, true]) {
      const report = await importCards(t.db, SYSTEM, { name: 'Bad', csv: csvOf(rows), apply });
      assert.equal(report.imported, false);
      assert.equal(report.accepted, 1);
      assert.deepEqual(
        report.rejected.map((r) => [r.line, r.reason]),
        [
          [3, 'uid'],
          [4, 'uid'],
          [5, 'token-short'],
          [6, 'token-chars'],
          [7, 'missing'],
          [8, 'duplicate-uid'],
          [9, 'duplicate-number'],
          [10, 'duplicate-token'],
          [11, 'number'],
          [12, 'uid'],
        ],
      );
      assert.deepEqual(report.rejected[4]!.params, { column: 'number' });
      assert.deepEqual(report.rejected[5]!.params, { other: 2 });
    }
    assert.deepEqual(await counts(), before);
  });

  test('duplicates of cards already in the database are refused, and the rest of the file is not imported either', async () => {
    const existing = cardLine();
    await importCards(t.db, SYSTEM, { name: 'First', csv: csvOf([existing]), apply: true });
    const fresh = cardLine();
    const rows = [
      fresh,
      { ...cardLine(), uid: existing.uid },
      { ...cardLine(), number: ` ${existing.number.slice(0, 3)} ${existing.number.slice(3)}` },
      { ...cardLine(), token: existing.token },
    ];
    const before = await counts();
    const report = await importCards(t.db, SYSTEM, { name: 'Second', csv: csvOf(rows), apply: true });
    assert.equal(report.imported, false);
    assert.deepEqual(
      report.rejected.map((r) => [r.line, r.reason]),
      [
        [3, 'exists-uid'],
        [4, 'exists-number'],
        [5, 'exists-token'],
      ],
    );
    assert.deepEqual(await counts(), before);
    assert.equal(await findCardByUid(t.db, fresh.uid), null);
  });

  test('columns in any order, semicolons, a byte-order mark and CRLF are read', async () => {
    const l = cardLine();
    const csv = `\uFEFFqr_token;NUMBER;uid\r\n${l.token};${l.number};${l.uid}\r\n`;
    const report = await importCards(t.db, SYSTEM, { name: 'Semicolons', csv, apply: true });
    assert.equal(report.imported, true);
    assert.equal((await findCardByUid(t.db, l.uid))!.number, l.number);
  });

  test('file-level errors: missing header, empty file, no name; only operators import', async () => {
    const l = cardLine();
    await assert.rejects(
      importCards(t.db, SYSTEM, { name: 'X', csv: `uid,number\n${l.uid},${l.number}\n`, apply: true }),
      isValidation('file', 'cards.csv-header'),
    );
    await assert.rejects(
      importCards(t.db, SYSTEM, { name: 'X', csv: 'uid,number,qr_token\n', apply: true }),
      isValidation('file', 'cards.csv-empty'),
    );
    await assert.rejects(
      importCards(t.db, SYSTEM, { name: 'X', csv: '', apply: true }),
      isValidation('file', 'required'),
    );
    await assert.rejects(
      importCards(t.db, SYSTEM, { name: '  ', csv: csvOf([l]), apply: true }),
      isValidation('name', 'required'),
    );
    await assert.rejects(
      importCards(t.db, SYSTEM, { name: 'x'.repeat(121), csv: csvOf([l]), apply: true }),
      isValidation('name', 'too-long'),
    );
    const someone = await ensurePerson(t.db, 'not-operator@example.org', 'fr');
    const before = await counts();
    await assert.rejects(
      importCards(t.db, personActor(someone.id), { name: 'X', csv: csvOf([l]), apply: true }),
      (e: unknown) => e instanceof DomainError && e.code === 'forbidden',
    );
    await assert.rejects(
      listCardBatches(t.db, personActor(someone.id)),
      (e: unknown) => e instanceof DomainError && e.code === 'forbidden',
    );
    assert.deepEqual(await counts(), before);
  });

  test('two imports of the same cards at once: one batch, never the cards twice', async () => {
    const lines = [cardLine(), cardLine()];
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => importCards(t.db, SYSTEM, { name: 'Race', csv: csvOf(lines), apply: true })),
    );
    const imported = results.filter((r) => r.status === 'fulfilled' && r.value.imported);
    assert.equal(imported.length, 1);
    for (const r of results)
      if (r.status === 'fulfilled' && !r.value.imported) assert.equal(r.value.rejected[0]!.reason, 'exists-uid');
    assert.equal(
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from cards where uid in (${lines[0]!.uid}, ${lines[1]!.uid})`.execute(t.db)
        ).rows[0]!.n,
      ),
      2,
    );
  });
});

describe('rezo cards import (the CLI command)', () => {
  test('imports a file, then refuses the same file again with the rows named, writing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rezo-cards-'));
    try {
      const file = join(dir, 'batch.csv');
      await writeFile(file, csvOf([cardLine(), cardLine()]));
      let stdout = '';
      let stderr = '';
      const out = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
      assert.equal(await cardsCommand(t.db, { file, name: 'CLI batch', check: true }, out), 0);
      assert.match(stdout, /2 card\(s\) ready to import/);
      assert.equal(await cardsCommand(t.db, { file, name: 'CLI batch', check: false }, out), 0);
      assert.match(stdout, /2 card\(s\) imported in batch "CLI batch"/);
      const before = await counts();
      assert.equal(await cardsCommand(t.db, { file, name: 'CLI batch again', check: false }, out), 1);
      assert.match(stderr, /line 2: a card with this UID already exists/);
      assert.match(stderr, /2 row\(s\) refused; nothing was imported/);
      assert.deepEqual(await counts(), before);
      assert.equal(await cardsCommand(t.db, { file: join(dir, 'missing.csv'), name: 'X', check: false }, out), 1);
      assert.match(stderr, /cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('/admin/cards', () => {
  test('an operator previews then imports a file; counts by status are listed; others get 403', async () => {
    const op = await ensurePerson(t.db, 'operator-cards@example.org', 'en');
    await t.db.updateTable('people').set({ is_operator: true }).where('id', '=', op.id).execute();
    const client = await t.loginAs(op.email);
    const lines = [cardLine(), cardLine()];
    const file = { filename: 'cards.csv', type: 'text/csv', bytes: Buffer.from(csvOf(lines)) };
    const before = await counts();
    const preview = await client.postMultipart('/admin/cards/import', { name: 'Web batch' }, { file });
    assert.equal(preview.statusCode, 200);
    assert.match(preview.body, /2 cards ready to import/);
    assert.deepEqual(await counts(), before);
    const csv = /<textarea name="csv" hidden aria-hidden="true">([^<]*)<\/textarea>/.exec(preview.body)![1]!;
    const done = await client.postForm('/admin/cards/import', {
      apply: '1',
      name: 'Web batch',
      csv: csv.replace(/&quot;/g, '"').replace(/&amp;/g, '&'),
    });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /2 cards imported/);
    assert.deepEqual(await counts(), { cards: before.cards + 2, batches: before.batches + 1 });
    const page = await client.get('/admin/cards');
    assert.match(page.body, /Web batch/);

    const bad = await client.postMultipart('/admin/cards/import', { name: 'Web batch 2' }, { file });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /2 rows refused: nothing was imported/);
    assert.match(bad.body, /Line 2 : a card with this UID already exists/);
    const noName = await client.postMultipart('/admin/cards/import', { name: '' }, { file });
    assert.equal(noName.statusCode, 422);
    assert.match(noName.body, /aria-invalid="true"/);

    const someone = await t.loginAs('someone-cards@example.org');
    assert.equal((await someone.get('/admin/cards')).statusCode, 403);
    assert.equal(
      (
        await someone.postMultipart(
          '/admin/cards/import',
          { name: 'X', apply: '1' },
          { file: { ...file, bytes: Buffer.from(csvOf([cardLine()])) } },
        )
      ).statusCode,
      403,
    );
    assert.deepEqual(await counts(), { cards: before.cards + 2, batches: before.batches + 1 });
  });
});
