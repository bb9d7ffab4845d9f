import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { devicesRoutes } from './devicesRoutes.ts';
import { posApiRoutes } from './posApiRoutes.ts';
import { posSetupRoutes } from './posSetupRoutes.ts';

export { PAIR_RATE_LIMIT, pairingUrl } from './devicesRoutes.ts';

/**
 * Devices and points of sale of a venue, for its admin: pages and JSON API; and device pairing.
 * The till's admin routes, one file per area: devices and pairing (devicesRoutes.ts), the setup
 * pages (posSetupRoutes.ts, views in posSetupPage.ts) and the setup API (posApiRoutes.ts).
 */
export async function tillAdminRoutes(app: ModuleApp, options: ModuleOptions): Promise<void> {
  await devicesRoutes(app, options);
  await posSetupRoutes(app, options);
  await posApiRoutes(app, options);
}
