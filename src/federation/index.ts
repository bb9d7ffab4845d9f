// The public surface of src/federation (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export type { RemoteEvent, RemotePlace, RemoteStatus, RemoteAvailability } from './parseRemoteEvent.ts';
export { refreshRemoteAvailability, type RemoteAvailabilityState } from './refreshRemoteAvailability.ts';
