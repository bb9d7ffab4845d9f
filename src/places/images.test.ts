import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { createTestNode, onPostgres, type Client, type TestNode } from '../../test/harness.ts';
import { DomainError } from '../shared/errors.ts';
import { SYSTEM } from '../access/actor.ts';
import { sniffImage } from '../shared/images.ts';
import { uploadPlaceImage } from './uploadPlaceImage.ts';

const UPLOAD_LIMIT_BYTES = 2048;

let t: TestNode;
let admin: Client;
before(async () => {
  t = await createTestNode({ uploadLimitBytes: UPLOAD_LIMIT_BYTES });
  admin = await t.loginAs('images@example.org');
  const made = await admin.api('POST', '/api/v1/venues', { slug: 'la-friche', name: 'La Friche' });
  assert.equal(made.statusCode, 201, made.body);
});
after(() => t.close());

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A complete, decodable RGB PNG of one colour. */
function png(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, truecolour, deflate, no filter, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7f)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', pixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The markers of a baseline JPEG up to its frame header (enough for any decoder to read its size). */
function jpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  ]);
  const sof0 = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x01,
    0x01,
    0x11,
    0x00,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof0, Buffer.from([0xff, 0xd9])]);
}

const upload = (c: Client, kind: 'logo' | 'cover', filename: string, type: string, bytes: Buffer, slug = 'la-friche') =>
  c.postMultipart(`/venues/${slug}/admin/images/${kind}`, {}, { [kind]: { filename, type, bytes } });
const placeRow = () => t.db.selectFrom('places').selectAll().where('slug', '=', 'la-friche').executeTakeFirstOrThrow();
const mediaIds = async () => (await t.db.selectFrom('media').select('id').orderBy('id').execute()).map((m) => m.id);

describe('uploading venue images', () => {
  test('a small PNG becomes the logo, served with its sniffed type and nosniff', async () => {
    const bytes = png(3, 2);
    assert.ok(bytes.length < UPLOAD_LIMIT_BYTES);
    const r = await upload(admin, 'logo', 'logo.png', 'image/png', bytes);
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(r.headers.location, '/venues/la-friche/admin');
    const place = await placeRow();
    assert.ok(place.logo_media_id);
    const media = await t.db
      .selectFrom('media')
      .selectAll()
      .where('id', '=', place.logo_media_id)
      .executeTakeFirstOrThrow();
    assert.equal(media.place_id, place.id);
    assert.deepEqual(
      [media.content_type, media.width, media.height, media.byte_size],
      ['image/png', 3, 2, bytes.length],
    );
    const served = await t.client().get(`/media/${place.logo_media_id}`);
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual(served.rawPayload, bytes);
    const publicPage = await t.client().get('/venues/la-friche');
    assert.match(publicPage.body, new RegExp(`<img class="logo" src="/media/${place.logo_media_id}"`));
    assert.equal(
      (await t.client().get('/api/v1/venues/la-friche')).json().logoUrl,
      `${t.config.baseUrl}/media/${place.logo_media_id}`,
    );
  });

  test('the type comes from the bytes, not from the name or the declared type', async () => {
    const bytes = jpeg(640, 480);
    const r = await upload(admin, 'cover', 'cover.png', 'image/png', bytes);
    assert.equal(r.statusCode, 303, r.body);
    const place = await placeRow();
    const media = await t.db
      .selectFrom('media')
      .selectAll()
      .where('id', '=', place.cover_media_id!)
      .executeTakeFirstOrThrow();
    assert.deepEqual([media.content_type, media.width, media.height], ['image/jpeg', 640, 480]);
    const served = await t.client().get(`/media/${place.cover_media_id}`);
    assert.equal(served.headers['content-type'], 'image/jpeg');
  });

  test('replacing the logo removes the old image', async () => {
    const old = (await placeRow()).logo_media_id!;
    const r = await upload(admin, 'logo', 'logo2.png', 'image/png', png(4, 4));
    assert.equal(r.statusCode, 303, r.body);
    const now = (await placeRow()).logo_media_id!;
    assert.notEqual(now, old);
    assert.ok(!(await mediaIds()).includes(old));
    assert.equal((await t.client().get(`/media/${old}`)).statusCode, 404);
    assert.equal((await t.client().get(`/media/${now}`)).statusCode, 200);
  });

  test('SVG, HTML named .png, an empty file and a file over the limit are refused in the page; nothing is stored', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const htmlFile = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
    const big = Buffer.concat([png(1, 1), Buffer.alloc(UPLOAD_LIMIT_BYTES)]);
    const cases: [string, string, string, Buffer, RegExp][] = [
      ['svg', 'logo.svg', 'image/svg+xml', svg, /Image PNG, JPEG, WebP ou GIF attendue/],
      ['html renamed', 'logo.png', 'image/png', htmlFile, /Image PNG, JPEG, WebP ou GIF attendue/],
      ['truncated png', 'logo.png', 'image/png', png(2, 2).subarray(0, 20), /Image PNG, JPEG, WebP ou GIF attendue/],
      ['empty', 'logo.png', 'image/png', Buffer.alloc(0), /Ce champ est obligatoire/],
      ['too big', 'logo.png', 'image/png', big, /Fichier trop lourd : 2 Kio au plus/],
    ];
    const beforePlace = await placeRow();
    const beforeMedia = await mediaIds();
    for (const [label, filename, type, bytes, message] of cases) {
      const r = await upload(admin, 'logo', filename, type, bytes);
      assert.equal(r.statusCode, 422, `${label}: ${r.statusCode} ${r.body.slice(0, 300)}`);
      assert.match(r.headers['content-type'] as string, /^text\/html/, label);
      assert.match(r.body, /id="logo"[^>]*aria-invalid="true"/, label);
      assert.match(r.body, message, label);
    }
    assert.deepEqual(await placeRow(), beforePlace);
    assert.deepEqual(await mediaIds(), beforeMedia);
  });

  test('the use case checks size and type itself, whoever calls it', async () => {
    const beforeMedia = await mediaIds();
    const refuse = async (bytes: Uint8Array, message: string) =>
      assert.rejects(
        uploadPlaceImage(t.db, SYSTEM, { slug: 'la-friche', kind: 'cover', bytes, maxBytes: 100 }),
        (e: unknown) => e instanceof DomainError && e.fields[0]?.message === message,
      );
    await refuse(Buffer.concat([png(1, 1), Buffer.alloc(100)]), 'file-too-large');
    await refuse(new Uint8Array(), 'required');
    await refuse(Buffer.from('GIF8'), 'image-type');
    assert.deepEqual(await mediaIds(), beforeMedia);
  });

  test('anonymous uploads go to the login page and store nothing', async () => {
    const beforeMedia = await mediaIds();
    const r = await upload(t.client(), 'logo', 'logo.png', 'image/png', png(1, 1));
    assert.equal(r.statusCode, 303);
    assert.match(String(r.headers.location), /^\/login/);
    assert.deepEqual(await mediaIds(), beforeMedia);
  });

  test('an unknown or malformed media id is a 404', async () => {
    assert.equal((await t.client().get('/media/0190a0b0-0000-7000-8000-000000000000')).statusCode, 404);
    assert.equal((await t.client().get('/media/../etc/passwd')).statusCode, 404);
    assert.equal((await t.client().get('/media/not-an-id')).statusCode, 404);
  });
});

describe('uploads at the same moment', () => {
  test(
    'several logos sent at once leave exactly one logo and no orphan image',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => upload(admin, 'logo', `logo${i}.png`, 'image/png', png(i + 1, 1))),
        );
        assert.deepEqual(
          results.map((r) => r.statusCode),
          Array(6).fill(303),
        );
        const place = await placeRow();
        const stored = await t.db.selectFrom('media').select('id').where('place_id', '=', place.id).execute();
        assert.deepEqual(
          stored.map((m) => m.id).sort(),
          [place.logo_media_id, place.cover_media_id].filter(Boolean).sort(),
          `round ${round}`,
        );
      }
    },
  );
});

describe('sniffing images', () => {
  test('recognises PNG, JPEG, GIF and WebP by their bytes, and nothing else', () => {
    assert.deepEqual(sniffImage(png(5, 7)), { contentType: 'image/png', width: 5, height: 7 });
    assert.deepEqual(sniffImage(jpeg(300, 200)), { contentType: 'image/jpeg', width: 300, height: 200 });
    assert.deepEqual(sniffImage(Buffer.from('GIF89a\x02\x00\x03\x00\x00\x00', 'latin1')), {
      contentType: 'image/gif',
      width: 2,
      height: 3,
    });
    assert.equal(sniffImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))?.contentType, 'image/webp');
    for (const bad of ['<svg/>', '<html>', '', '\x89PNG', 'RIFF\0\0\0\0WAVEfmt '])
      assert.equal(sniffImage(Buffer.from(bad, 'latin1')), null, JSON.stringify(bad));
  });

  test('a JPEG whose markers run past the end does not throw', () => {
    const truncated = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    assert.equal(sniffImage(truncated)?.contentType, 'image/jpeg');
    const badLength = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(sniffImage(badLength)?.contentType, 'image/jpeg');
    // A frame header cut short: its size bytes are beyond the end.
    const shortFrame = Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x10, 0x00, 0x10, 0x01]),
    ]);
    assert.doesNotThrow(() => sniffImage(shortFrame));
  });
});
