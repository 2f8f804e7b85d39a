import { promClient, type MetricsRegistry } from '@shop/service-kit';

export interface UpstreamTimer {
  /** Records the call once, with the status the caller got; later calls do nothing. */
  stop(status: number): void;
}

/**
 * `gateway_upstream_requests_total` and `gateway_upstream_duration_seconds`, by upstream and the
 * status the caller got. Each label pair's children are made once and kept: prom-client would
 * otherwise hash a label object on every request.
 */
export function upstreamMetrics(registry: MetricsRegistry) {
  const requests = new promClient.Counter({
    name: 'gateway_upstream_requests_total',
    help: 'Requests the gateway sent to each upstream, by the status the caller got',
    labelNames: ['upstream', 'status_code'],
    registers: [registry],
  });
  const duration = new promClient.Histogram({
    name: 'gateway_upstream_duration_seconds',
    help: 'Time from sending a request upstream to its response headers (or failure)',
    labelNames: ['upstream', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const children = new Map<string, { count: () => void; observe: (seconds: number) => void }>();

  function childrenOf(upstream: string, status: number) {
    const key = `${upstream} ${status}`;
    let child = children.get(key);
    if (!child) {
      const counter = requests.labels(upstream, String(status));
      const histogram = duration.labels(upstream, String(status));
      child = { count: () => counter.inc(), observe: (seconds) => histogram.observe(seconds) };
      children.set(key, child);
    }
    return child;
  }

  return {
    start(upstream: string): UpstreamTimer {
      const began = performance.now();
      let stopped = false;
      return {
        stop(status) {
          if (stopped) return;
          stopped = true;
          const child = childrenOf(upstream, status);
          child.count();
          child.observe((performance.now() - began) / 1000);
        },
      };
    },
  };
}
