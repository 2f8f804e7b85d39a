import { randomUUID } from 'node:crypto';
import { createLogger, createMetricsRegistry, listen } from '@shop/service-kit';
import { buildApp } from '../src/app';
import { ServiceRegistry, type RegistryLimits } from '../src/domain/registry';

export const silentLogger = createLogger({ service: 'service-registry', level: 'silent' });

/** The registry app in-process with the real clock; `port` 0 picks a free one. */
export async function startRegistry(limits: Partial<RegistryLimits> = {}, port = 0) {
  const ttlMs = limits.ttlMs ?? 30_000;
  const registry = new ServiceRegistry(
    { ttlMs, graceMs: 3 * ttlMs, maxInstances: 1000, maxInstancesPerName: 100, ...limits },
    Date.now,
    randomUUID,
  );
  const metrics = createMetricsRegistry('service-registry');
  const server = await listen(
    buildApp({ logger: silentLogger, metrics, registry }),
    port,
    '127.0.0.1',
  );
  return { registry, url: server.url, port: server.port, close: () => server.close() };
}
