/** Table types of the ledger module (currencies, accounts, transfers, checkpoints). Merged into DB in db/schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LedgerTables {}
