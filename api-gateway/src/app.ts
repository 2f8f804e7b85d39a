import type { RequestListener } from 'node:http';
import cors from 'cors';
import type { Redis } from 'ioredis';
import type { Discovery } from '@shop/registry-client';
import {
  createServiceApp,
  securityHeaders,
  type Logger,
  type MetricsRegistry,
} from '@shop/service-kit';
import type { Config } from './config';
import { matchRoute } from './domain/routing';
import { createAdmission } from './middleware/admission';
import { corsOptions } from './middleware/cors';
import { docsRoutes } from './routes/docs';
import { gatewayRoutes } from './routes/gateway';
import { UpstreamDirectory } from './upstreams/directory';
import { UpstreamPools } from './upstreams/pools';
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
  /** Overrides REVOKED_SESSION_PREFIX, for the same reason. */
  revokedSessionPrefix?: string;
}

export interface Gateway {
  /** The gateway routes served directly, everything else handed to the Express app. */
  app: RequestListener;
  /** Closes the upstream connection pools, once the HTTP server has drained. */
  close(): Promise<void>;
}

export function buildApp(deps: AppDeps): Gateway {
  const { config, logger, redis } = deps;
  const prefix = deps.rateLimitPrefix ?? config.RATE_LIMIT_PREFIX;
  const pools = new UpstreamPools({
    connections: config.UPSTREAM_CONNECTIONS,
    idleTimeoutMs: config.UPSTREAM_IDLE_TIMEOUT_MS,
    responseIdleTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
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
    onTargetGone: (target) => pools.forget(target),
  });
  const proxy = createGatewayProxy({
    logger,
    metrics: deps.metrics,
    directory,
    pools,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    bodyTimeoutMs: config.REQUEST_BODY_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    answerDefaults: securityHeaders(),
  });
  const admission = createAdmission({
    redis,
    logger,
    everyRequest: { limit: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS },
    credentials: { limit: config.AUTH_RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS },
    prefix,
    revokedSessionPrefix: deps.revokedSessionPrefix ?? config.REVOKED_SESSION_PREFIX,
    batchMs: config.RATE_LIMIT_BATCH_MS,
    sessionCheckMs: config.SESSION_CHECK_MS,
  });

  const routes = gatewayRoutes({
    proxy,
    admission,
    logger,
    metrics: deps.metrics,
    jwtSecret: config.JWT_SECRET,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    trustedHops: config.TRUST_PROXY,
    corsOrigins: config.CORS_ORIGINS,
  });

  const express = createServiceApp({
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
    beforeBody: (app) => {
      app.use(cors(corsOptions(config.CORS_ORIGINS)));
      // What no gateway route took (the docs, unknown paths) still counts against the limit.
      app.use('/api', admission.middleware());
    },
    routes: (app) => app.use(docsRoutes()),
  });

  // Preflights go to Express's cors, which answers them for the gateway routes too.
  const app: RequestListener = (req, res) => {
    const match = req.method === 'OPTIONS' ? undefined : matchRoute(req.url ?? '/');
    if (match) routes.serve(req, res, match);
    else express(req, res);
  };
  return { app, close: () => pools.close() };
}
