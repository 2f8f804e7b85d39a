import { runService } from '@shop/service-kit';
import { createPool, ensureDatabase, migrate } from '@shop/postgres';
import { buildApp } from './app';
import { OrderServiceClient } from './clients/order-service';
import { readConfig } from './config';
import { purgeStaleThrottles } from './db/login-throttles';
import { MIGRATION_LOCK_KEY, migrations } from './db/migrations';
import { ensureAdmin } from './use-cases/ensure-admin';
import { accountSettingsFrom } from './use-cases/settings';

const config = readConfig();
const PURGE_INTERVAL_MS = 10 * 60_000;

void runService({
  service: 'user-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    await ensureDatabase(config.DATABASE_URL);
    const pool = createPool(config.DATABASE_URL);
    await migrate(pool, migrations, { lockKey: MIGRATION_LOCK_KEY });
    const settings = accountSettingsFrom(config);
    if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
      await ensureAdmin(
        { pool, settings, logger },
        { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD },
      );
    }
    const orders = new OrderServiceClient({
      url: config.ORDER_SERVICE_URL,
      timeoutMs: config.ORDER_SERVICE_TIMEOUT_MS,
      logger,
    });
    // Throttle rows outlive their use; a slow sweep keeps the table small.
    const purge = setInterval(() => {
      const cutoff = new Date(Date.now() - 2 * settings.loginLimits.account.windowMs);
      purgeStaleThrottles(pool, cutoff).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not purge login throttles'),
      );
    }, PURGE_INTERVAL_MS);
    purge.unref();
    return {
      app: buildApp({ logger, metrics, pool, settings, orders }),
      shutdown: [
        { name: 'login throttle purge', run: () => clearInterval(purge) },
        { name: 'order-service client', run: () => orders.shutdown() },
        { name: 'postgres', run: () => pool.end() },
      ],
    };
  },
});
