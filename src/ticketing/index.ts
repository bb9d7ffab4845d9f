// The public surface of src/ticketing (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { ticketForm } from './eventTickets.ts';
export { offersOf, schemaOffers } from './offers.ts';
export type { DateOffers } from './offers.ts';
export { dateFigures, ticketsByWeek } from './dateFigures.ts';
export type { DateFigures } from './dateFigures.ts';
export { sellableCheckout, sellableOffers } from './sellableOffers.ts';
export { loadDemoTicketing } from './demoTicketing.ts';
export type { PriceOffer } from './offers.ts';
export { placesLeft } from './placesLeft.ts';
export type { PlacesLeft } from './placesLeft.ts';
export { onSeatsMoved } from './seatsMoved.ts';
export type { SeatsMovedListener } from './seatsMoved.ts';
