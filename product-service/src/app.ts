import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import type { CatalogCache } from './cache/catalog-cache';
import type { ProductModel } from './db/product-model';
import { productRoutes } from './routes/products';
import { createCatalog } from './use-cases/catalog';

export interface AppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  products: ProductModel;
  cache: CatalogCache;
  jwtSecret: string;
  /** Wakes the outbox relay after a write that queued an event. */
  onEventsQueued?: () => void;
  /** Extra readiness checks (the broker, once the relay publishes through it). */
  readiness?: Record<string, () => unknown>;
}

export function buildApp(deps: AppDeps) {
  const catalog = createCatalog({
    products: deps.products,
    cache: deps.cache,
    onEventsQueued: deps.onEventsQueued,
  });
  return createServiceApp({
    service: 'product-service',
    logger: deps.logger,
    metrics: deps.metrics,
    // Redis is deliberately absent: without it reads are slower, not wrong, so the service
    // stays in rotation.
    readiness: {
      mongodb: async () => {
        const db = deps.products.db.db;
        if (!db) throw new Error('MongoDB is not connected');
        await db.command({ ping: 1 });
      },
      ...deps.readiness,
    },
    routes: (app) => app.use(productRoutes({ catalog, jwtSecret: deps.jwtSecret })),
  });
}
