import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Routes of the till (admin: devices, points of sale, articles). */
export async function tillAdminRoutes(_app: ModuleApp, _options: ModuleOptions): Promise<void> {}
