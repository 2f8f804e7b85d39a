import { runService } from '@shop/service-kit';
import { buildApp } from './app';
import { createCatalogCache } from './cache/catalog-cache';
import { createCacheRedis } from './cache/redis';
import { readConfig } from './config';
import { DEVELOPMENT_DATA_DIR, openCatalogDatabase } from './db/connection';
import { seedCatalog } from './seed';

const config = readConfig();

void runService({
  service: 'product-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
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
    const cache = createCatalogCache({
      redis,
      settings: {
        keyPrefix: config.CACHE_KEY_PREFIX,
        productTtlSeconds: config.PRODUCT_CACHE_TTL_SECONDS,
        listTtlSeconds: config.LIST_CACHE_TTL_SECONDS,
        lockTtlMs: 2000,
        lockWaitMs: 300,
      },
      metrics,
      logger,
    });
    if (config.SEED_DEMO_CATALOG) {
      const seeded = await seedCatalog(database.products, { logger });
      if (seeded.created > 0) await cache.catalogChanged();
    }
    return {
      app: buildApp({
        logger,
        metrics,
        products: database.products,
        cache,
        jwtSecret: config.JWT_SECRET,
      }),
      shutdown: [
        { name: 'redis', run: () => redis.disconnect() },
        { name: 'mongodb', run: () => database.close() },
      ],
    };
  },
});
