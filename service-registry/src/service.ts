import { randomUUID } from 'node:crypto';
import type { Logger, MetricsRegistry } from '@shop/service-kit';
import { buildApp } from './app';
import type { Config } from './config';
import { ServiceRegistry } from './domain/registry';
import { startSweeper } from './use-cases/forget-silent-instances';

export type RegistrySettings = Pick<
  Config,
  | 'REGISTRY_TTL_MS'
  | 'REGISTRY_GRACE_MS'
  | 'REGISTRY_MAX_INSTANCES'
  | 'REGISTRY_MAX_INSTANCES_PER_NAME'
  | 'REGISTRY_TOKEN'
>;

/**
 * The registry as main.ts and the tests run it: the instance table, its sweeper and the app. The
 * caller listens; `stop` ends what this started.
 */
export function startRegistryService(
  settings: RegistrySettings,
  runtime: { logger: Logger; metrics: MetricsRegistry },
) {
  const registry = new ServiceRegistry(
    {
      ttlMs: settings.REGISTRY_TTL_MS,
      graceMs: settings.REGISTRY_GRACE_MS ?? 3 * settings.REGISTRY_TTL_MS,
      maxInstances: settings.REGISTRY_MAX_INSTANCES,
      maxInstancesPerName: settings.REGISTRY_MAX_INSTANCES_PER_NAME,
    },
    Date.now,
    randomUUID,
  );
  const sweeper = startSweeper({
    registry,
    logger: runtime.logger,
    intervalMs: settings.REGISTRY_TTL_MS,
  });
  return {
    registry,
    app: buildApp({ ...runtime, registry, token: settings.REGISTRY_TOKEN }),
    stop: () => sweeper.stop(),
  };
}
