import { parsePrometheusText } from '@shop/testkit';
import {
  latencyRow,
  LATENCY_HEADER,
  perSecond,
  printTable,
  progress,
  runPool,
  seconds,
  startBenchSystem,
  type Benchmark,
} from './support';

const REQUESTS = 5000;
const CONCURRENCY = 20;
const DEADLINE_MS = 20_000;
const PATH = '/products?limit=20';

/** product-service's cache hits and misses so far, from its /metrics. */
async function cacheCounts(productServiceUrl: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${productServiceUrl}/metrics`)).text();
  const sum = (name: string) =>
    parsePrometheusText(text)
      .samples.filter((sample) => sample.name === name)
      .reduce((total, sample) => total + sample.value, 0);
  return { hits: sum('cache_hits_total'), misses: sum('cache_misses_total') };
}

export const gateway: Benchmark = {
  name: 'gateway',
  measures: `GET /api${PATH} through the gateway, cache warm: requests/s and latency`,
  async run() {
    // The demo catalog gives the list a full first page.
    const bench = await startBenchSystem({ env: { SEED_DEMO_CATALOG: 'true' } });
    console.log(`  system ready in ${bench.totalSeconds.toFixed(1)} s; warming the cache`);
    const url = `${bench.system.urls['api-gateway']}/api${PATH}`;
    for (let warm = 0; warm < 20; warm += 1) {
      const response = await fetch(url);
      const body = (await response.json()) as { items: unknown[] };
      if (response.status !== 200 || body.items.length === 0)
        throw new Error(`warm-up: ${response.status} with ${body.items.length} products`);
    }

    const cacheBefore = await cacheCounts(bench.system.urls['product-service']);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const run = await runPool({
      total: REQUESTS,
      concurrency: CONCURRENCY,
      deadlineMs: DEADLINE_MS,
      onProgress: progress('sent', 'requests', REQUESTS),
      async task() {
        const started = performance.now();
        const response = await fetch(url);
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      },
    });

    const cacheAfter = await cacheCounts(bench.system.urls['product-service']);
    const hits = cacheAfter.hits - cacheBefore.hits;
    const misses = cacheAfter.misses - cacheBefore.misses;
    printTable(
      `gateway: ${run.completed} requests, ${CONCURRENCY} concurrent (stops at ${REQUESTS} or ${
        DEADLINE_MS / 1000
      } s)`,
      ['figure', 'value'],
      [
        ['requests', perSecond(run.completed, run.elapsedMs)],
        ['took', seconds(run.elapsedMs)],
        ['product-service cache', `${hits} hits, ${misses} misses`],
        ['statuses', [...statuses].map(([status, count]) => `${count}x ${status}`).join(', ')],
      ],
    );
    printTable('', LATENCY_HEADER, [latencyRow(`GET /api${PATH}`, latencies)]);
    if ([...statuses.keys()].some((status) => status !== 200)) process.exitCode = 1;
  },
};
