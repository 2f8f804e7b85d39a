import { createLogger, createMetricsRegistry, listen } from '@shop/service-kit';
import type { RegistryLimits } from '../src/domain/registry';
import { startRegistryService } from '../src/service';

export const silentLogger = createLogger({ service: 'service-registry', level: 'silent' });

/** The shared secret the guarded registries of the tests expect. */
export const REGISTRY_TOKEN = 'test-registry-token-0123456789abcdef0123456789';

/** A logger whose lines the test can read back, parsed. */
export function capturingLogger() {
  const lines: { level: string; msg: string; reason?: string }[] = [];
  const logger = createLogger({
    service: 'registry-client-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/**
 * The registry as main.ts starts it, in-process with the real clock; `port` 0 picks a free one,
 * and a `token` makes every registry route require it.
 */
export async function startRegistry(
  limits: Partial<RegistryLimits> = {},
  { port = 0, token }: { port?: number; token?: string } = {},
) {
  const service = startRegistryService(
    {
      REGISTRY_TTL_MS: limits.ttlMs ?? 30_000,
      REGISTRY_GRACE_MS: limits.graceMs,
      REGISTRY_MAX_INSTANCES: limits.maxInstances ?? 1000,
      REGISTRY_MAX_INSTANCES_PER_NAME: limits.maxInstancesPerName ?? 100,
      REGISTRY_TOKEN: token,
    },
    { logger: silentLogger, metrics: createMetricsRegistry('service-registry') },
  );
  const server = await listen(service.app, port, '127.0.0.1');
  return {
    registry: service.registry,
    url: server.url,
    port: server.port,
    async close() {
      await server.close();
      await service.stop();
    },
  };
}
