import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import { pingDatabase, type Pool } from '@shop/postgres';
import type { ProductCatalog } from './clients/product-catalog';
import type { OrderMetrics } from './metrics';
import { ordersRouter } from './routes/orders';
import { rabbitReadiness } from '@shop/messaging';

export interface AppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  orderMetrics: OrderMetrics;
  pool: Pool;
  catalog: ProductCatalog;
  /** Only its state is read here, for /ready; orders leave through the outbox relay. */
  rabbit: { isConnected(): boolean };
  jwtSecret: string;
}

export function buildApp(deps: AppDeps) {
  return createServiceApp({
    service: 'order-service',
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      postgres: () => pingDatabase(deps.pool),
      rabbitmq: rabbitReadiness(deps.rabbit),
    },
    routes: (app) => app.use('/orders', ordersRouter(deps)),
  });
}
