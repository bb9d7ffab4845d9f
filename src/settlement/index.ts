// The public surface of src/settlement (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { loadDemoSettlement } from './demoSettlement.ts';
