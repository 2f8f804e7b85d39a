import './instrument';
import { connectRabbitAtStartup, rabbitReadiness } from '@shop/messaging';
import { registrationSteps } from '@shop/registry-client';
import { runService } from '@shop/service-kit';
import { buildApp } from './app';
import { createCatalogCache } from './cache/catalog-cache';
import { createCacheRedis, redisReady } from './cache/redis';
import { readConfig } from './config';
import { catalogCacheNamespace } from './db/catalog-identity';
import { DEVELOPMENT_DATA_DIR, openCatalogDatabase } from './db/connection';
import { startProductEventRelay } from './events/product-event-relay';
import { seedCatalog } from './seed';

const config = readConfig();
const REDIS_BOOT_WAIT_MS = 1000;

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
    // Briefly, so the first reads are cached; without Redis the catalog is slower, not down.
    await redisReady(redis, REDIS_BOOT_WAIT_MS);
    const cache = createCatalogCache({
      redis,
      settings: {
        keyPrefix: `${config.CACHE_KEY_PREFIX}${await catalogCacheNamespace(database.connection)}:`,
        productTtlSeconds: config.PRODUCT_CACHE_TTL_SECONDS,
        listTtlSeconds: config.LIST_CACHE_TTL_SECONDS,
        lockTtlMs: 2000,
        lockWaitMs: 300,
      },
      metrics,
      logger,
    });
    if (config.SEED_DEMO_CATALOG) await seedCatalog(database.products, { logger });
    // The catalog may have changed while no replica was running (a seed, a restore).
    await cache.catalogChanged();
    // If the broker is away, product events wait in their product documents until it is back.
    const rabbit = await connectRabbitAtStartup({
      url: config.RABBITMQ_URL,
      namespace: config.RABBITMQ_NAMESPACE,
      logger,
      metrics,
    });
    const relay = startProductEventRelay({
      products: database.products,
      publisher: rabbit,
      logger,
      metrics,
    });
    return {
      app: buildApp({
        logger,
        metrics,
        products: database.products,
        cache,
        jwtSecret: config.JWT_SECRET,
        onEventsQueued: relay.nudge,
        readiness: {
          rabbitmq: rabbitReadiness(rabbit),
        },
      }),
      afterListen: (server) =>
        registrationSteps(config, { name: 'product-service', port: server.port, logger }),
      shutdown: [
        { name: 'event relay', run: () => relay.stop() },
        { name: 'rabbitmq', run: () => rabbit.close() },
        { name: 'redis', run: () => redis.disconnect() },
        { name: 'mongodb', run: () => database.close() },
      ],
    };
  },
});
