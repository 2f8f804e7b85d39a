import { shopEvents } from '@shop/contracts';
import './instrument';
import { connectServiceRabbit, rabbitReadiness } from '@shop/messaging';
import { runRegisteredService } from '@shop/registry-client';
import { createCacheRedis, redisReady } from './cache/redis';
import { readConfig } from './config';
import { catalogCacheNamespace } from './db/catalog-identity';
import { DEVELOPMENT_DATA_DIR, openCatalogDatabase } from './db/connection';
import { startCatalogService } from './service';

const config = readConfig();
const REDIS_BOOT_WAIT_MS = 1000;

void runRegisteredService({
  service: 'product-service',
  config,
  start: async (runtime) => {
    const { logger } = runtime;
    const database = await openCatalogDatabase({
      url: config.MONGODB_URL,
      // In development the embedded catalog survives restarts; elsewhere it lives in memory.
      dataDir:
        config.MONGO_DATA_DIR ??
        (config.NODE_ENV === 'development' ? DEVELOPMENT_DATA_DIR : undefined),
      logger,
      production: config.NODE_ENV === 'production',
    });
    const redis = createCacheRedis(config.REDIS_URL, logger);
    // Briefly, so the first reads are cached; without Redis the catalog is slower, not down.
    await redisReady(redis, REDIS_BOOT_WAIT_MS);
    // If the broker is away, product events wait in their product documents until it is back.
    const rabbit = await connectServiceRabbit(shopEvents, config, runtime);
    const service = await startCatalogService(
      {
        ...config,
        cache: {
          keyPrefix: `${config.CACHE_KEY_PREFIX}${await catalogCacheNamespace(database.connection)}:`,
          productTtlSeconds: config.PRODUCT_CACHE_TTL_SECONDS,
          listTtlSeconds: config.LIST_CACHE_TTL_SECONDS,
          lockTtlMs: 2000,
          lockWaitMs: 300,
        },
      },
      { database, redis, publisher: rabbit, readiness: { rabbitmq: rabbitReadiness(rabbit) } },
      runtime,
    );
    return {
      app: service.app,
      shutdown: [
        { name: 'event relay', run: () => service.stop() },
        { name: 'rabbitmq', run: () => rabbit.close() },
        { name: 'redis', run: () => redis.disconnect() },
        { name: 'mongodb', run: () => database.close() },
      ],
    };
  },
});
