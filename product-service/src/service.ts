import type { Redis } from 'ioredis';
import type { ServiceRuntime } from '@shop/service-kit';
import { buildApp } from './app';
import { createCatalogCache, type CatalogCacheSettings } from './cache/catalog-cache';
import type { Config } from './config';
import type { CatalogDatabase } from './db/connection';
import { startProductEventRelay, type ProductEventPublisher } from './events/product-event-relay';
import { seedCatalog } from './seed';

export interface CatalogServiceSettings extends Pick<Config, 'JWT_SECRET' | 'SEED_DEMO_CATALOG'> {
  cache: CatalogCacheSettings;
  /** How often the relay looks for events no write nudged it about (its default otherwise). */
  relayIntervalMs?: number;
}

/** Opened and closed by the caller: main.ts's real ones, or a test's throwaway ones. */
export interface CatalogConnections {
  database: CatalogDatabase;
  redis: Redis;
  /** The broker; while it is away, product events wait in their product documents. */
  publisher: ProductEventPublisher;
  /** Extra readiness checks (the broker's connection). */
  readiness?: Record<string, () => unknown>;
}

/**
 * product-service as it runs, for main.ts and the tests alike: the demo seed if asked for, the
 * cache, the outbox relay that every write nudges, and the app. The caller listens; `stop` ends
 * the relay.
 */
export async function startCatalogService(
  settings: CatalogServiceSettings,
  connections: CatalogConnections,
  runtime: ServiceRuntime,
) {
  const { database, redis, publisher } = connections;
  const { logger, metrics } = runtime;
  const cache = createCatalogCache({ redis, settings: settings.cache, metrics, logger });
  if (settings.SEED_DEMO_CATALOG) await seedCatalog(database.products, { logger });
  // The catalog may have changed while no replica was running (a seed, a restore).
  await cache.catalogChanged();
  const relay = startProductEventRelay({
    products: database.products,
    publisher,
    logger,
    metrics,
    ...(settings.relayIntervalMs ? { intervalMs: settings.relayIntervalMs } : {}),
  });
  const app = buildApp({
    logger,
    metrics,
    products: database.products,
    cache,
    jwtSecret: settings.JWT_SECRET,
    onEventsQueued: relay.nudge,
    ...(connections.readiness ? { readiness: connections.readiness } : {}),
  });
  return { app, relay, stop: () => relay.stop() };
}
