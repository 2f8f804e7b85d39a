import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import type { Redis } from 'ioredis';

export interface AppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  redis: Redis;
}

export function buildApp(deps: AppDeps) {
  return createServiceApp({
    service: 'api-gateway',
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { redis: () => deps.redis.ping() },
    routes: () => undefined,
  });
}
