// The dashboard's surface for other modules (docs/ARCHITECTURE.md, "Module surfaces"): none use it yet.
export {};
