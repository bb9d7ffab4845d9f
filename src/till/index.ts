// The public surface of src/till (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { loadDemoTill } from './demoTill.ts';
export { readTillSession, tillSessionKey } from './tillSession.ts';
export type { TillSession } from './tillSession.ts';
export { lastWeeks, tillSalesByWeek, tillTonight } from './tonightFigures.ts';
export type { TillTonight } from './tonightFigures.ts';
export { saleItemsOf } from './saleItems.ts';
export type { SaleItems } from './saleItems.ts';
export { listClosures } from './closures.ts';
export type { Closure } from './closures.ts';
export { businessDayAt, tillDayOf } from './closureDay.ts';
export { businessDayBounds } from './closureDay.ts';
