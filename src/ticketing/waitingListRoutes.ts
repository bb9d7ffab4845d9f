import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Routes of the ticketing waiting list. */
export async function waitingListRoutes(_app: ModuleApp, _options: ModuleOptions): Promise<void> {}
