import './instrument';
import { randomUUID } from 'node:crypto';
import { runService } from '@shop/service-kit';
import { buildApp } from './app';
import { readConfig } from './config';
import { ServiceRegistry } from './domain/registry';
import { startSweeper } from './sweeper';

const config = readConfig();

void runService({
  service: 'service-registry',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    if (!config.REGISTRY_TOKEN) {
      logger.warn(
        'REGISTRY_TOKEN is unset: anyone who can reach the registry can register, deregister and ' +
          'discover instances (fine for local development only)',
      );
    }
    const registry = new ServiceRegistry(
      {
        ttlMs: config.REGISTRY_TTL_MS,
        graceMs: config.REGISTRY_GRACE_MS ?? 3 * config.REGISTRY_TTL_MS,
        maxInstances: config.REGISTRY_MAX_INSTANCES,
        maxInstancesPerName: config.REGISTRY_MAX_INSTANCES_PER_NAME,
      },
      Date.now,
      randomUUID,
    );
    const sweeper = startSweeper({ registry, logger, intervalMs: config.REGISTRY_TTL_MS });
    return {
      app: buildApp({ logger, metrics, registry, token: config.REGISTRY_TOKEN }),
      shutdown: [{ name: 'sweeper', run: () => sweeper.stop() }],
    };
  },
});
