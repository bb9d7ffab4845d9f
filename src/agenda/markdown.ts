import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

// A private instance: options set here do not leak into other users of `marked`.
const marked = new Marked({ gfm: true, breaks: true, async: false });

/**
 * Markdown of an event description → HTML safe to put in a page. Markdown lets raw HTML through,
 * so the output is sanitised with an allow-list: no script, style, iframe, event handler or
 * javascript: URL survives; links open with rel="nofollow noopener" (descriptions come from
 * venues and from visitors' proposals alike).
 */
export function renderMarkdown(markdown: string): string {
  const raw = marked.parse(markdown) as string;
  return sanitizeHtml(raw, {
    allowedTags: [
      'p',
      'br',
      'strong',
      'em',
      'b',
      'i',
      'ul',
      'ol',
      'li',
      'a',
      'blockquote',
      'code',
      'pre',
      'h2',
      'h3',
      'h4',
      'hr',
      'del',
    ],
    allowedAttributes: { a: ['href', 'title', 'rel', 'target'] },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowProtocolRelative: false,
    // h1 belongs to the page (the event title): demote headings instead of dropping their text.
    transformTags: {
      h1: 'h2',
      a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener', target: '_blank' }),
    },
    disallowedTagsMode: 'discard',
  }).trim();
}

/** Plain text of a description (feeds, meta description): tags removed, whitespace collapsed. */
export function plainText(html: string, max = 300): string {
  const text = sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} })
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
