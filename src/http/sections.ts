import { html, type Html } from './html.ts';

/**
 * Renders the sections other modules contribute to a page (the venue page, "my account"; see
 * `VenueSection` and `AccountSection` in ./module.ts), one after the other in the order given,
 * joined by `separator`.
 */
export async function renderSections<S>(
  sections: readonly S[],
  render: (section: S) => Promise<Html | ''>,
  separator = '',
): Promise<Html> {
  const parts: (Html | '')[] = [];
  for (const section of sections) parts.push(await render(section));
  return html`${parts.map((part, i) => html`${i > 0 ? separator : ''}${part}`)}`;
}
