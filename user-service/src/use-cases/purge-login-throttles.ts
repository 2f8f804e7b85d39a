import type { Pool } from '@shop/postgres';
import { startPeriodicTask, type Logger, type PeriodicTask } from '@shop/service-kit';
import type { LoginLimits } from '../config';
import { purgeStaleThrottles } from '../db/login-throttles';

const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * Throttle rows outlive their use; a slow sweep keeps the table small. A row is kept for two
 * windows, so a purge never forgets an attempt that still counts.
 */
export function startLoginThrottlePurge(options: {
  pool: Pool;
  logger: Logger;
  limits: LoginLimits;
}): PeriodicTask {
  return startPeriodicTask({
    name: 'login throttle purge',
    logger: options.logger,
    everyMs: PURGE_INTERVAL_MS,
    run: async () => {
      const cutoff = new Date(Date.now() - 2 * options.limits.account.windowMs);
      await purgeStaleThrottles(options.pool, cutoff);
    },
  });
}
