// The public surface of src/team (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
// Nothing yet: no other module uses it.
export {};
