// The demo's first start: `cluster.local.seedApps` (shipped, tracked by git) is copied into
// `cluster.local.apps` (ignored by git) when that directory does not exist yet, so trying the quick
// start and editing its app files never leaves the checkout modified.
import { cp, stat } from 'node:fs/promises';
import type { Logger } from 'pino';

export async function seedApps(apps: string, seed: string | null, logger: Logger): Promise<void> {
  if (!seed) return;
  const exists = (path: string) => stat(path).then(() => true, (error: NodeJS.ErrnoException) => error.code !== 'ENOENT');
  if (await exists(apps)) return;
  if (!(await exists(seed))) {
    logger.warn({ apps, seedApps: seed }, 'cluster.local.seedApps does not exist; starting without apps');
    return;
  }
  await cp(seed, apps, { recursive: true, errorOnExist: false, force: false });
  logger.info({ apps, from: seed }, `created ${apps} from ${seed} (edit the copies; the examples stay as shipped)`);
}
