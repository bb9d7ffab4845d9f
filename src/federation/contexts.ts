import { getDocumentLoader, type DocumentLoader, type DocumentLoaderFactory } from '@fedify/fedify';

/**
 * JSON-LD contexts that fediverse servers name and Fedify does not preload, held here so that an
 * activity naming them is read without a network fetch (docs/FEDERATION.md, "Implementation notes").
 * Mobilizon (and Pleroma/Akkoma) put `https://litepub.social/litepub/context.jsonld` in every
 * document; this is Rezo's own copy of the terms it defines that matter to us (unknown terms are
 * dropped by JSON-LD expansion, which Rezo does not rely on: events are read from the raw JSON).
 */
const LITEPUB = 'https://litepub.social/litepub/context.jsonld';

const LOCAL: Record<string, unknown> = {
  [LITEPUB]: {
    '@context': [
      'https://www.w3.org/ns/activitystreams',
      'https://w3id.org/security/v1',
      {
        litepub: 'http://litepub.social/ns#',
        toot: 'http://joinmastodon.org/ns#',
        schema: 'http://schema.org#',
        sensitive: 'as:sensitive',
        manuallyApprovesFollowers: 'as:manuallyApprovesFollowers',
        Hashtag: 'as:Hashtag',
        Emoji: 'toot:Emoji',
        PropertyValue: 'schema:PropertyValue',
        value: 'schema:value',
        ChatMessage: 'litepub:ChatMessage',
        EmojiReact: 'litepub:EmojiReact',
        directMessage: 'litepub:directMessage',
        listMessage: { '@id': 'litepub:listMessage', '@type': '@id' },
        oauthRegistrationEndpoint: { '@id': 'litepub:oauthRegistrationEndpoint', '@type': '@id' },
        invisible: 'litepub:invisible',
        capabilities: 'litepub:capabilities',
        acceptsChatMessages: 'litepub:acceptsChatMessages',
      },
    ],
  },
};

/** The contexts Fedify 1.5.9 preloads (its runtime/contexts.js): its own loader answers them without a fetch. */
const FEDIFY_PRELOADED = new Set([
  'https://www.w3.org/ns/activitystreams',
  'https://w3id.org/security/v1',
  'https://w3id.org/security/data-integrity/v1',
  'https://www.w3.org/ns/did/v1',
  'https://w3id.org/security/multikey/v1',
  'https://w3id.org/identity/v1',
  'https://purl.archive.org/socialweb/webfinger',
  'http://schema.org/',
  'https://gotosocial.org/ns',
]);
const preloaded = getDocumentLoader();

/**
 * Fedify's context loader: the contexts above from memory, Fedify's preloaded ones from Fedify,
 * any other through `fetched` (documentLoader.ts: address checks, size and time limits).
 */
export function contextLoaderFactory(fetched: DocumentLoader): DocumentLoaderFactory {
  return () => async (url) => {
    const local = LOCAL[url];
    if (local) return { contextUrl: null, documentUrl: url, document: local };
    return FEDIFY_PRELOADED.has(url) ? preloaded(url) : fetched(url);
  };
}
