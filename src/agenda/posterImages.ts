import { html, type Html } from '../http/html.ts';
import { IMAGE_VARIANTS, makeImageVariants, type ImageVariant } from './eventMedia.ts';

/**
 * An event's poster as a responsive image: the list variant (480 px wide at most) and the page
 * variant (1200 px) in `srcset`, the browser picks by the `sizes` the layout gives. Width and height
 * are the box's ratio (3:2), so the page does not jump while the image loads. The poster is
 * decoration next to the title: its alternative text is empty unless told.
 */
export function posterImage(
  ids: { list: string | null; page: string | null },
  options: { sizes: string; className?: string; alt?: string; eager?: boolean },
): Html | '' {
  const src = ids.list ?? ids.page;
  if (!src) return '';
  const srcset = [
    ids.list ? `/media/${ids.list} ${IMAGE_VARIANTS.list.width}w` : '',
    ids.page ? `/media/${ids.page} ${IMAGE_VARIANTS.page.width}w` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const box = ids.list ? IMAGE_VARIANTS.list : IMAGE_VARIANTS.page;
  return html`<img${options.className ? html` class="${options.className}"` : ''} src="/media/${src}" srcset="${srcset}" sizes="${options.sizes}" width="${box.width}" height="${box.height}" alt="${options.alt ?? ''}" loading="${options.eager ? 'eager' : 'lazy'}" decoding="async">`;
}

const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Splits a title into lines of about `width` characters (words kept whole), three lines at most. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && (last + ' ' + word).length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.slice(0, 3);
}

/**
 * A generated poster for a demo event: the venue's colour, the title in large type, the date and
 * the venue below. Composed as SVG and rasterised by sharp (the fonts are the system's), then cut
 * into the same WebP variants as an uploaded image.
 */
export async function demoPoster(o: {
  title: string;
  when: string;
  venue: string;
  colour: string;
}): Promise<{ list: ImageVariant; page: ImageVariant }> {
  const { width, height } = IMAGE_VARIANTS.page;
  const lines = wrap(o.title, 18);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="${o.colour}"/>
<circle cx="${width - 160}" cy="160" r="260" fill="#ffffff" fill-opacity="0.12"/>
<circle cx="120" cy="${height - 60}" r="200" fill="#000000" fill-opacity="0.12"/>
<rect x="60" y="60" width="${width - 120}" height="${height - 120}" fill="none" stroke="#ffffff" stroke-width="6" stroke-opacity="0.7"/>
${lines.map((l, i) => `<text x="110" y="${230 + i * 110}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="92" fill="#ffffff">${escapeXml(l)}</text>`).join('\n')}
<text x="110" y="${height - 190}" font-family="DejaVu Sans, sans-serif" font-size="48" fill="#ffffff">${escapeXml(o.when)}</text>
<text x="110" y="${height - 120}" font-family="DejaVu Sans, sans-serif" font-size="40" fill="#ffffff" fill-opacity="0.85">${escapeXml(o.venue)}</text>
</svg>`;
  // sharp reads the SVG itself (librsvg): no intermediate PNG.
  return makeImageVariants(Buffer.from(svg));
}
