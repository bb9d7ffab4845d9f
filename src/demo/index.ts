// The public surface of src/demo (docs/ARCHITECTURE.md, "Module surfaces"): the demo territory, loaded by the CLI.
export { DEMO_ADMIN_EMAIL, hasDemoData, isEmptyNode, loadDemo } from './loadDemo.ts';
export { demoStartLines } from './demoStartLines.ts';
