/** What the bytes of an accepted image say about it. */
export interface ImageInfo {
  contentType: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  width: number | null;
  height: number | null;
}

/**
 * Recognises PNG, JPEG, WebP and GIF by their signatures and reads their size where the header has
 * it. Returns null for anything else (SVG, HTML pretending to be an image, truncated files).
 */
export function sniffImage(bytes: Uint8Array): ImageInfo | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    b.length >= 24 &&
    b.readUInt32BE(0) === 0x89504e47 &&
    b.readUInt32BE(4) === 0x0d0a1a0a &&
    b.toString('latin1', 12, 16) === 'IHDR'
  ) {
    return { contentType: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    return { contentType: 'image/jpeg', ...jpegSize(b) };
  }
  if (b.length >= 16 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    return { contentType: 'image/webp', width: null, height: null };
  }
  if (b.length >= 10 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) {
    return { contentType: 'image/gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  return null;
}

function jpegSize(b: Buffer): { width: number | null; height: number | null } {
  let i = 2;
  // Walk the markers up to a start-of-frame (SOF0..SOF15 but DHT, JPG and DAC), bounded by the buffer.
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return { width: null, height: null };
    const marker = b[i + 1]!;
    const length = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  return { width: null, height: null };
}
