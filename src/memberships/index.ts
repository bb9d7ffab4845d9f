// The public surface of src/memberships (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { insertMembership } from './addMembership.ts';
export { validMembershipsOf } from './memberships.ts';
export { findProduct } from './products.ts';
export type { MembershipProduct } from './products.ts';
export { today } from './validity.ts';
export { memberFigures } from './memberFigures.ts';
export { loadDemoMemberships } from './demoMemberships.ts';
export { findMembership } from './memberships.ts';
export { productsOf } from './products.ts';
