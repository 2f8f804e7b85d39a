import type { NextFunction, Request, Response } from 'express';
import client from 'prom-client';

export type MetricsRegistry = client.Registry;
export { client as promClient };

/**
 * A registry per service instance rather than prom-client's global one, so several services (or
 * several copies of one) can run in one test process without clashing metric names.
 */
export function createMetricsRegistry(service: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  return registry;
}

/** The route pattern, never the raw path, so ids do not explode the label set. */
function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  return 'unmatched';
}

export function httpMetrics(registry: client.Registry) {
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const total = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeLabel(req), status_code: res.statusCode };
      stop(labels);
      total.inc(labels);
    });
    next();
  };
}
