import type { ModuleApp, ModuleOptions } from '../http/app.ts';

/** Routes of the till closures. */
export async function closureRoutes(_app: ModuleApp, _options: ModuleOptions): Promise<void> {}
