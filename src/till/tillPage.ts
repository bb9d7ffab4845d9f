import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Routes of the till PWA page. */
export async function tillPageRoutes(_app: ModuleApp, _options: ModuleOptions): Promise<void> {}
