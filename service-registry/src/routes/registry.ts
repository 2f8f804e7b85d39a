import { Router } from 'express';
import { NotFoundError, TooManyRequestsError, parseInput } from '@shop/service-kit';
import type { InstanceView, ServiceRegistry } from '../domain/registry';
import { requireRegistryToken } from './registry-token';
import { registrationSchema, serviceIdParam, serviceName, servicesQuery } from './schemas';

function toResponse(view: InstanceView) {
  return {
    serviceId: view.serviceId,
    name: view.name,
    host: view.host,
    port: view.port,
    url: view.url,
    healthCheck: view.healthCheck ?? null,
    state: view.state,
    registeredAt: new Date(view.registeredAt).toISOString(),
    lastHeartbeat: new Date(view.lastHeartbeat).toISOString(),
  };
}

/**
 * Every route needs the token when one is configured: reads too, since a discovery answer lists
 * internal addresses. Guarded route by route, so an unknown path is still a 404.
 */
export function registryRoutes(registry: ServiceRegistry, token: string | undefined): Router {
  const router = Router();
  const authorized = requireRegistryToken(token);
  const retryAfterSeconds = Math.max(1, Math.ceil(registry.limits.ttlMs / 1000));

  router.post('/register', authorized, (req, res) => {
    const registration = parseInput(registrationSchema, req.body, 'registration');
    const outcome = registry.register(registration);
    switch (outcome.kind) {
      case 'registry-full':
        throw TooManyRequestsError(
          `The registry holds its limit of ${outcome.limit} instances; retry once stale ones expire`,
          retryAfterSeconds,
        );
      case 'name-full':
        throw TooManyRequestsError(
          `${registration.name} already has its limit of ${outcome.limit} instances`,
          retryAfterSeconds,
        );
      case 'registered':
      case 'renewed':
        // The TTL tells each client how often to heartbeat, so a registry tuned to notice dead
        // replicas sooner never marks live ones stale between two beats.
        res.status(outcome.kind === 'registered' ? 201 : 200).json({
          serviceId: outcome.instance.serviceId,
          ttlMs: registry.limits.ttlMs,
        });
    }
  });

  router.post('/heartbeat/:serviceId', authorized, (req, res) => {
    const serviceId = parseInput(serviceIdParam, req.params.serviceId, 'service id');
    if (!registry.heartbeat(serviceId)) {
      throw NotFoundError(`No instance ${serviceId} is registered; register again`);
    }
    res.status(204).end();
  });

  router.delete('/services/:serviceId', authorized, (req, res) => {
    const serviceId = parseInput(serviceIdParam, req.params.serviceId, 'service id');
    registry.deregister(serviceId);
    res.status(204).end();
  });

  router.get('/discover/:name', authorized, (req, res) => {
    const name = parseInput(serviceName, req.params.name, 'service name');
    const instance = registry.discover(name);
    if (!instance) throw NotFoundError(`No healthy instance of ${name} is registered`);
    res.json({
      serviceId: instance.serviceId,
      name: instance.name,
      host: instance.host,
      port: instance.port,
      url: instance.url,
    });
  });

  router.get('/services', authorized, (req, res) => {
    const query = parseInput(servicesQuery, req.query, 'query');
    const instances = registry
      .list()
      .filter((view) => !query.name || view.name === query.name)
      .filter((view) => !query.state || view.state === query.state)
      .map(toResponse);
    res.json({ instances });
  });

  return router;
}
