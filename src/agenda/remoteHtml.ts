import sanitizeHtml from 'sanitize-html';

/** Longest received description kept for display (characters of HTML, before sanitising). */
const MAX_INPUT = 50_000;

/**
 * The description of an event received from another node (HTML written elsewhere) → HTML safe to put
 * in a page. A stricter allow-list than renderMarkdown's: text structure and links only. Scripts,
 * styles, iframes, forms, images (the reader's browser would fetch them from elsewhere), every
 * attribute but a link's href (and the rel and target set here), event handlers and any scheme but http(s) and mailto are dropped;
 * the text of a dropped tag stays, except inside script, style and the like, which go whole.
 * Links open apart, without referrer and nofollow: they lead off this node.
 */
export function sanitiseRemoteHtml(html: string): string {
  return sanitizeHtml(html.length > MAX_INPUT ? '' : html, {
    allowedTags: ['p', 'br', 'strong', 'em', 'b', 'i', 'u', 'ul', 'ol', 'li', 'a', 'blockquote', 'h2', 'h3', 'h4'],
    // rel and target are the transform's (it overwrites any received).
    allowedAttributes: { a: ['href', 'rel', 'target'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: false,
    transformTags: {
      h1: 'h2',
      a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener noreferrer ugc', target: '_blank' }),
    },
    // These go with their content (the others lose their tags only).
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'template', 'iframe', 'object', 'svg', 'math'],
    disallowedTagsMode: 'discard',
  }).trim();
}
