import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import { pingDatabase, type Pool } from '@shop/postgres';

export interface AppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  pool: Pool;
}

export function buildApp(deps: AppDeps) {
  return createServiceApp({
    service: 'user-service',
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { postgres: () => pingDatabase(deps.pool) },
    routes: () => undefined,
  });
}
