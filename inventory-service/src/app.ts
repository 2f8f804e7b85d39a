import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import { pingDatabase, type Pool } from '@shop/postgres';
import { inventoryRoutes } from './routes/inventory';
import { rabbitReadiness } from '@shop/messaging';

export interface AppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  pool: Pool;
  jwtSecret: string;
  /** The broker connection, for readiness: without it no order is answered. */
  rabbit: { isConnected(): boolean };
}

export function buildApp(deps: AppDeps) {
  return createServiceApp({
    service: 'inventory-service',
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      postgres: () => pingDatabase(deps.pool),
      rabbitmq: rabbitReadiness(deps.rabbit),
    },
    routes: (app) => {
      app.use('/inventory', inventoryRoutes(deps));
    },
  });
}
