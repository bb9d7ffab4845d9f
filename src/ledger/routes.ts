import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Ledger API and pages (wallet, transfers, checkpoints, transparency). */
export async function ledgerRoutes(_app: ModuleApp, _options: ModuleOptions) {}
