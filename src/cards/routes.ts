import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Routes of the cards. */
export async function cardRoutes(_app: ModuleApp, _options: ModuleOptions): Promise<void> {}
