import { runService } from '@shop/service-kit';
import { Redis } from 'ioredis';
import { buildApp } from './app';
import { readConfig } from './config';

const config = readConfig();

void runService({
  service: 'product-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    return {
      app: buildApp({ logger, metrics, redis }),
      shutdown: [{ name: 'redis', run: () => redis.quit() }],
    };
  },
});
