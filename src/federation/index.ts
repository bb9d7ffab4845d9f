// The public surface of src/federation (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
// Nothing yet: the agenda's union of remote events will read them from here.
export {};
