// The public surface of src/cards (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export {
  findCardByNumber,
  findCardByToken,
  findCardByUid,
  isStaffCardHeld,
  linkedCardIds,
  lockCard,
  lockCards,
  lockCardsByUid,
  normaliseUid,
  staffCardHeld,
  walletOwnerOf,
} from './cards.ts';
export type { Card } from './cards.ts';
export { demoCard, loadDemoCards } from './demoCards.ts';
