import './instrument';
import { Redis } from 'ioredis';
import { createDiscovery, runRegisteredService } from '@shop/registry-client';
import { readConfig } from './config';
import { startGatewayService } from './service';

const config = readConfig();

void runRegisteredService({
  service: 'api-gateway',
  config,
  metricsPort: config.METRICS_PORT,
  start: async ({ logger, metrics }) => {
    // Auto-pipelining: the admission scripts of all requests in one tick go out in one write, not
    // a syscall each (the largest single cost of a proxied request before it).
    const redis = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    const registryUrl = config.REGISTRY_URL;
    const discovery = registryUrl
      ? createDiscovery({
          registryUrl,
          registryToken: config.REGISTRY_TOKEN,
          cacheTtlMs: config.DISCOVERY_CACHE_MS,
          logger,
        })
      : undefined;
    const gateway = startGatewayService(
      config,
      { redis, ...(discovery ? { discovery } : {}) },
      { logger, metrics },
    );
    return {
      app: gateway.app,
      shutdown: [
        { name: 'upstream pools', run: () => gateway.stop() },
        { name: 'redis', run: () => redis.quit() },
      ],
    };
  },
});
