import { createServiceApp, promClient, type Logger, type MetricsRegistry } from '@shop/service-kit';
import type { ServiceRegistry } from './domain/registry';
import { registryRoutes } from './routes/registry';

export interface RegistryAppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  registry: ServiceRegistry;
  /** The shared secret callers must present; undefined leaves the registry open. */
  token: string | undefined;
}

export function buildApp(deps: RegistryAppDeps) {
  new promClient.Gauge({
    name: 'registry_instances',
    help: 'Registered service instances by name and state',
    labelNames: ['name', 'state'],
    registers: [deps.metrics],
    collect() {
      this.reset();
      for (const view of deps.registry.list()) this.inc({ name: view.name, state: view.state });
    },
  });
  return createServiceApp({
    service: 'service-registry',
    logger: deps.logger,
    metrics: deps.metrics,
    // Registrations are a few fields; nothing bigger belongs here.
    bodyLimit: '4kb',
    routinePaths: /^\/heartbeat\//,
    routes: (app) => app.use(registryRoutes(deps.registry, deps.token)),
  });
}
