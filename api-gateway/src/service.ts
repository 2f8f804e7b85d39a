import type { Redis } from 'ioredis';
import type { Discovery } from '@shop/registry-client';
import type { ServiceRuntime } from '@shop/service-kit';
import { buildApp, type AppDeps } from './app';
import type { Config } from './config';

/** Opened and closed by the caller: main.ts's real ones, or a test's throwaway ones. */
export interface GatewayConnections {
  redis: Redis;
  /** Absent when REGISTRY_URL is unset: the static *_SERVICE_URLs are then the only upstreams. */
  discovery?: Discovery;
}

/**
 * The gateway as it runs, for main.ts and the tests alike. It has no workers of its own: the app
 * (with its upstream pools) is all of it. The caller listens; `stop` closes the pools once the
 * server has drained.
 */
export function startGatewayService(
  config: Config,
  connections: GatewayConnections,
  runtime: ServiceRuntime,
  keyPrefixes: Pick<AppDeps, 'rateLimitPrefix' | 'revokedSessionPrefix'> = {},
) {
  const gateway = buildApp({
    config,
    ...runtime,
    redis: connections.redis,
    ...(connections.discovery ? { discovery: connections.discovery } : {}),
    ...keyPrefixes,
  });
  return { app: gateway.app, stop: () => gateway.close() };
}
