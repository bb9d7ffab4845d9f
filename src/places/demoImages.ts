import sharp from 'sharp';
import { SYSTEM } from '../access/actor.ts';
import type { Trx } from '../db/database.ts';
import { uploadPlaceImage } from './uploadPlaceImage.ts';

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Up to two initials of a venue's name ("La Fabrik" → "LF"), for its demo logo. */
function initials(name: string): string {
  return name
    .split(/[\s-]+/)
    .filter((w) => /^\p{Lu}/u.test(w))
    .slice(0, 2)
    .map((w) => w[0])
    .join('');
}

/**
 * A demo venue's logo (its initials on its colour) and cover (a wide band of the same colour, shapes
 * only: the page's heading says the name just below), drawn as SVG, rasterised to PNG by sharp and stored through the upload's own use case
 * (the same checks as a venue admin's upload). White type on colours dark enough for 4.5:1.
 */
export async function addDemoPlaceImages(
  trx: Trx,
  place: { slug: string; name: string; colour: string },
): Promise<void> {
  const logo = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
<rect width="256" height="256" rx="40" fill="${place.colour}"/>
<text x="128" y="160" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="104" fill="#ffffff">${escapeXml(initials(place.name))}</text>
</svg>`;
  const cover = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="480" viewBox="0 0 1600 480">
<rect width="1600" height="480" fill="${place.colour}"/>
<circle cx="1380" cy="120" r="320" fill="#ffffff" fill-opacity="0.12"/>
<circle cx="220" cy="470" r="260" fill="#000000" fill-opacity="0.14"/>
<circle cx="760" cy="-40" r="180" fill="#ffffff" fill-opacity="0.08"/>
</svg>`;
  for (const [kind, svg] of [
    ['logo', logo],
    ['cover', cover],
  ] as const) {
    const bytes = await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toBuffer();
    await uploadPlaceImage(trx, SYSTEM, { slug: place.slug, kind, bytes, maxBytes: 2 * 1024 * 1024 });
  }
}
