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

export interface HttpRequestRecorder {
  /** Counts and times one answered request under its route pattern (never its raw path). */
  record(method: string, route: string, status: number, seconds: number): void;
}

const recorders = new WeakMap<client.Registry, HttpRequestRecorder>();

/**
 * The HTTP request metrics of a registry, made once per registry: Express's middleware and a
 * handler that serves requests without Express (the gateway's proxied routes) count into the same
 * series.
 */
export function httpRequestRecorder(registry: client.Registry): HttpRequestRecorder {
  const known = recorders.get(registry);
  if (known) return known;
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
  // Each label set's children are made once and kept, so a request builds no label object.
  const children = new Map<string, { observe(seconds: number): void; inc(): void }>();
  const recorder: HttpRequestRecorder = {
    record(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let child = children.get(key);
      if (!child) {
        child = {
          observe: duration.labels(method, route, String(status)).observe,
          inc: total.labels(method, route, String(status)).inc,
        };
        children.set(key, child);
      }
      child.observe(seconds);
      child.inc();
    },
  };
  recorders.set(registry, recorder);
  return recorder;
}

export function httpMetrics(registry: client.Registry) {
  const recorder = httpRequestRecorder(registry);
  return (req: Request, res: Response, next: NextFunction) => {
    const began = performance.now();
    res.once('finish', () => {
      recorder.record(
        req.method,
        routeLabel(req),
        res.statusCode,
        (performance.now() - began) / 1000,
      );
    });
    next();
  };
}
