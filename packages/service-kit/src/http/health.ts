import { Router } from 'express';
import type { MetricsRegistry } from '../metrics';

/** A dependency the service needs to do its job; it throws (or rejects) when it does not answer. */
export type ReadinessCheck = () => Promise<unknown> | unknown;

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.resolve().then(check), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** GET /metrics in Prometheus text. */
export function metricsRoute(registry: MetricsRegistry) {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}

export function healthRoutes(options: {
  service: string;
  registry: MetricsRegistry;
  readiness: Record<string, ReadinessCheck>;
  /** False when a separate listener (METRICS_PORT) serves /metrics instead. */
  metrics: boolean;
}) {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      service: options.service,
      uptimeSeconds: Math.round(process.uptime()),
    });
  });
  router.get('/ready', async (_req, res) => {
    const names = Object.keys(options.readiness);
    const results = await Promise.all(names.map((name) => runCheck(options.readiness[name]!)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ready = results.every((result) => result === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks });
  });
  if (options.metrics) router.use(metricsRoute(options.registry));
  return router;
}
