/** Table types of the till's closures (migration 0013_till_closures.sql). Merged into DB in db/schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClosureTables {}
