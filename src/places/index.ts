// The public surface of src/places (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { adminNav } from './adminNav.ts';
export { createPlace } from './createPlace.ts';
export { addDemoPlaceImages } from './demoImages.ts';
export { slugify } from './placeInput.ts';
export {
  connectedAccountOf,
  findPlaceById,
  findPlaceBySlug,
  getPlaceBySlug,
  listPlaces,
  placesByIds,
  placesOfPerson,
} from './places.ts';
export type { Place } from './places.ts';
export { deleteMedia } from './media.ts';
export { lockPlace } from './places.ts';
export { placeIdsBySlugs } from './places.ts';
export { placeTimezone } from './places.ts';
export { storeMedia } from './media.ts';
export { placeNamesById } from './places.ts';
export { placeSlugsByIds } from './places.ts';
export { vatDefaultsOf, type VatDefaults } from './vatDefaults.ts';
