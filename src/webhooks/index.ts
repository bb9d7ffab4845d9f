// The public surface of src/webhooks (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { emitEvent } from './emitEvent.ts';
export { fetchOutside, isPublicAddress, privateHost, publicOnlyLookup } from './receiverAddress.ts';
