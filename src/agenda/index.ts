// The public surface of src/agenda (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { loadDemoAgenda } from './demoAgenda.ts';
export { localDate, localParts, parseLocalDateTime, zonedToInstant } from './zonedTime.ts';
export { venueDatesBetween } from './datesBetween.ts';
export type { VenueDate } from './datesBetween.ts';
export { datesOfEvent } from './events.ts';
export { eventDateForSale } from './events.ts';
export { eventDateIds } from './events.ts';
export { eventDatesByIds } from './events.ts';
export { eventOfPlace } from './events.ts';
export { eventsByIds } from './events.ts';
export { upcomingDatesOf } from './events.ts';
export { publishedDatesFrom } from './events.ts';
export { registerDateUse } from './dateUses.ts';
export { eventsChangedSince, findEvent, isListed } from './events.ts';
export type { AgendaEvent } from './events.ts';
export { formatWhen } from './views.ts';
export { localInputValue } from './eventForm.ts';
