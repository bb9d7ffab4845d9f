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

/** Fedify's context loader, answering the contexts above from memory. */
export function contextLoaderFactory(allowPrivateAddress: boolean): DocumentLoaderFactory {
  return (options) => {
    const fetched: DocumentLoader = getDocumentLoader({
      allowPrivateAddress: options?.allowPrivateAddress ?? allowPrivateAddress,
      userAgent: options?.userAgent,
    });
    return async (url) => {
      const local = LOCAL[url];
      return local ? { contextUrl: null, documentUrl: url, document: local } : fetched(url);
    };
  };
}
