import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';

export interface RegistryAppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
}

export function buildApp(deps: RegistryAppDeps) {
  return createServiceApp({
    service: 'service-registry',
    logger: deps.logger,
    metrics: deps.metrics,
    routes: () => undefined,
  });
}
