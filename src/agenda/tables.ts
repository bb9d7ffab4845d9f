/** Table types of the agenda module (events, dates, tags, follows). Merged into DB in db/schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AgendaTables {}
