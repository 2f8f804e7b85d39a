import cors from 'cors';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { Discovery } from '@shop/registry-client';
import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import type { Config } from './config';
import { stripClientIdentity } from './middleware/identity';
import { redisRateLimit } from './middleware/rate-limit';
import { docsRoutes } from './routes/docs';
import { gatewayRoutes } from './routes/gateway';
import { UpstreamDirectory } from './upstreams/directory';
import { createGatewayProxy } from './upstreams/proxy';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: MetricsRegistry;
  redis: Redis;
  /** Absent when REGISTRY_URL is unset: the static *_SERVICE_URLs are then the only upstreams. */
  discovery?: Discovery;
  /** Overrides RATE_LIMIT_PREFIX, so each test counts in its own keys. */
  rateLimitPrefix?: string;
}

export function buildApp(deps: AppDeps) {
  const { config, logger, redis } = deps;
  const prefix = deps.rateLimitPrefix ?? config.RATE_LIMIT_PREFIX;
  const directory = new UpstreamDirectory({
    staticUrls: {
      'user-service': config.USER_SERVICE_URL,
      'product-service': config.PRODUCT_SERVICE_URL,
      'order-service': config.ORDER_SERVICE_URL,
      'inventory-service': config.INVENTORY_SERVICE_URL,
    },
    discovery: deps.discovery,
    circuit: {
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      resetTimeoutMs: config.CIRCUIT_RESET_MS,
    },
  });
  const proxy = createGatewayProxy({
    logger,
    metrics: deps.metrics,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
  const everyRequestLimit = redisRateLimit({
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.RATE_LIMIT_MAX,
    prefix: `${prefix}all:`,
    redis,
    logger,
    detail: `At most ${config.RATE_LIMIT_MAX} requests per ${config.RATE_LIMIT_WINDOW_MS / 1000} s`,
  });
  const credentialLimit = redisRateLimit({
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.AUTH_RATE_LIMIT_MAX,
    prefix: `${prefix}credentials:`,
    redis,
    logger,
    detail: `At most ${config.AUTH_RATE_LIMIT_MAX} logins and registrations per ${config.RATE_LIMIT_WINDOW_MS / 1000} s`,
  });

  return createServiceApp({
    service: 'api-gateway',
    logger,
    metrics: deps.metrics,
    publicMetrics: config.METRICS_PORT === undefined,
    bodyLimit: `${config.BODY_LIMIT_BYTES}b`,
    trustProxy: config.TRUST_PROXY,
    readiness: {
      redis: () => redis.ping(),
      upstreams: () => directory.assertEveryUpstreamHasATarget(),
    },
    // The proxy runs before the JSON parser so bodies stream through byte for byte.
    beforeBody: (app) => {
      app.use(stripClientIdentity());
      app.use(helmet());
      app.use(
        cors({
          origin: config.CORS_ORIGINS,
          exposedHeaders: ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
          maxAge: 600,
        }),
      );
      app.use('/api', everyRequestLimit);
      app.use(
        gatewayRoutes({
          directory,
          proxy,
          jwtSecret: config.JWT_SECRET,
          bodyLimitBytes: config.BODY_LIMIT_BYTES,
          credentialLimiter: credentialLimit,
        }),
      );
    },
    routes: (app) => app.use(docsRoutes()),
  });
}
