import { promClient, type MetricsRegistry } from '@shop/service-kit';
import type { Pool } from '@shop/postgres';

export type ConsumeResult = 'ok' | 'duplicate' | 'retried' | 'dead-lettered';

export interface MessagingMetrics {
  published: promClient.Counter<'event_type'>;
  consumed: promClient.Counter<'event_type' | 'result'>;
  handlerDuration: promClient.Histogram<'event_type' | 'result'>;
  batchSize: promClient.Histogram;
  held: promClient.Gauge;
  /** Pools whose outbox the `outbox_pending` gauge counts (one per running relay's database). */
  outboxPools: Map<Pool, { relays: number; lastCount: number; lastAgeSeconds: number }>;
}

// A service hands the same registry to its connection, consumers and relay; prom-client refuses a
// second metric of the same name, so the metrics are created once per registry and shared.
const byRegistry = new WeakMap<MetricsRegistry, MessagingMetrics>();

export function messagingMetrics(registry: MetricsRegistry): MessagingMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const outboxPools: MessagingMetrics['outboxPools'] = new Map();
  const metrics: MessagingMetrics = {
    published: new promClient.Counter({
      name: 'messaging_events_published_total',
      help: 'Events the broker confirmed, by event type',
      labelNames: ['event_type'],
      registers: [registry],
    }),
    consumed: new promClient.Counter({
      name: 'messaging_events_consumed_total',
      help: 'Events consumed, by event type and result (ok, duplicate, retried, dead-lettered)',
      labelNames: ['event_type', 'result'],
      registers: [registry],
    }),
    handlerDuration: new promClient.Histogram({
      name: 'messaging_handler_duration_seconds',
      help: 'Time spent handling one event, including its inbox transaction (for a batch, the batch)',
      labelNames: ['event_type', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchSize: new promClient.Histogram({
      name: 'messaging_consumer_batch_size',
      help: 'Deliveries a consumer handled in one transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers: [registry],
    }),
    held: new promClient.Gauge({
      name: 'messaging_consumer_held_events',
      help: 'Events a consumer holds unacked while its database is unreachable',
      registers: [registry],
    }),
    outboxPools,
  };
  new promClient.Gauge({
    name: 'outbox_pending',
    help: 'Outbox events not yet confirmed by the broker',
    registers: [registry],
    collect: outboxReading(outboxPools, {
      reading: 'lastCount',
      read: (pool) =>
        pool
          .query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')
          .then((result) => result.rows[0]?.n ?? 0),
      combine: (total, count) => total + count,
    }),
  });
  new promClient.Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox event not yet confirmed by the broker (0 when none is pending)',
    registers: [registry],
    // Lag rather than backlog: a long queue that moves is fine, one event stuck for minutes is
    // not. The partial index on pending rows keeps this cheap.
    collect: outboxReading(outboxPools, {
      reading: 'lastAgeSeconds',
      read: (pool) =>
        pool
          .query<{ age: number | null }>(
            `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age
               FROM outbox WHERE published_at IS NULL`,
          )
          .then((result) => Math.max(0, result.rows[0]?.age ?? 0)),
      combine: Math.max,
    }),
  });
  byRegistry.set(registry, metrics);
  return metrics;
}

/**
 * A gauge's collect over the outbox of every relayed pool, read at scrape time so the value is
 * true even when the relay is stuck; if a database is unreachable its last reading stays rather
 * than failing the whole scrape.
 */
function outboxReading(
  outboxPools: MessagingMetrics['outboxPools'],
  how: {
    reading: 'lastCount' | 'lastAgeSeconds';
    read: (pool: Pool) => Promise<number>;
    combine: (sofar: number, reading: number) => number;
  },
) {
  const { reading, read, combine } = how;
  return async function collect(this: promClient.Gauge): Promise<void> {
    let value = 0;
    for (const [pool, entry] of outboxPools) {
      entry[reading] = await read(pool).catch(() => entry[reading]);
      value = combine(value, entry[reading]);
    }
    this.set(value);
  };
}
