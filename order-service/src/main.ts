import { runService } from '@shop/service-kit';
import { createPool, ensureDatabase } from '@shop/postgres';
import { buildApp } from './app';
import { readConfig } from './config';

const config = readConfig();

void runService({
  service: 'order-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    await ensureDatabase(config.DATABASE_URL);
    const pool = createPool(config.DATABASE_URL);
    return {
      app: buildApp({ logger, metrics, pool }),
      shutdown: [{ name: 'postgres', run: () => pool.end() }],
    };
  },
});
