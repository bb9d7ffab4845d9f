import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Routes of the till (device API: open, lookup, sales). */
export async function tillApiRoutes(_app: ModuleApp, _options: ModuleOptions): Promise<void> {}
