import { randomUUID } from 'node:crypto';
import { createLogger, createMetricsRegistry, listen } from '@shop/service-kit';
import { buildApp } from '../src/app';
import { ServiceRegistry, type RegistryLimits } from '../src/domain/registry';

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
 * The registry app in-process with the real clock; `port` 0 picks a free one, and a `token`
 * makes every registry route require it.
 */
export async function startRegistry(
  limits: Partial<RegistryLimits> = {},
  { port = 0, token }: { port?: number; token?: string } = {},
) {
  const ttlMs = limits.ttlMs ?? 30_000;
  const registry = new ServiceRegistry(
    { ttlMs, graceMs: 3 * ttlMs, maxInstances: 1000, maxInstancesPerName: 100, ...limits },
    Date.now,
    randomUUID,
  );
  const metrics = createMetricsRegistry('service-registry');
  const server = await listen(
    buildApp({ logger: silentLogger, metrics, registry, token }),
    port,
    '127.0.0.1',
  );
  return { registry, url: server.url, port: server.port, close: () => server.close() };
}
