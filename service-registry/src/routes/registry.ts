import { Router } from 'express';
import { NotFoundError, TooManyRequestsError, parseInput } from '@shop/service-kit';
import type { InstanceView, ServiceRegistry } from '../domain/registry';
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

export function registryRoutes(registry: ServiceRegistry): Router {
  const router = Router();
  const retryAfterSeconds = Math.max(1, Math.ceil(registry.limits.ttlMs / 1000));

  router.post('/register', (req, res) => {
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
        res.status(outcome.kind === 'registered' ? 201 : 200).json({
          serviceId: outcome.instance.serviceId,
        });
    }
  });

  router.post('/heartbeat/:serviceId', (req, res) => {
    const serviceId = parseInput(serviceIdParam, req.params.serviceId, 'service id');
    if (!registry.heartbeat(serviceId)) {
      throw NotFoundError(`No instance ${serviceId} is registered; register again`);
    }
    res.status(204).end();
  });

  router.delete('/services/:serviceId', (req, res) => {
    const serviceId = parseInput(serviceIdParam, req.params.serviceId, 'service id');
    registry.deregister(serviceId);
    res.status(204).end();
  });

  router.get('/discover/:name', (req, res) => {
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

  router.get('/services', (req, res) => {
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
