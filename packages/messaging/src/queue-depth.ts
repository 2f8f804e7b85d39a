import type { ChannelModel } from 'amqplib';
import { promClient, type MetricsRegistry } from '@shop/service-kit';
import type { RabbitConnection } from './connection';

interface Tracked {
  rabbit: RabbitConnection;
  queues: readonly string[];
}

interface QueueDepth {
  tracked: Set<Tracked>;
  sample: Promise<void> | null;
}

// Both gauges are filled by one round of queue checks; a scrape reads them within a moment.
const SAMPLE_REUSE_MS = 1000;

const byRegistry = new WeakMap<MetricsRegistry, QueueDepth>();

/** Ready messages and consumers of each queue, as the broker reports them (passive declare). */
async function checkQueues(
  model: ChannelModel,
  queues: readonly string[],
  onQueue: (queue: string, messages: number, consumers: number) => void,
) {
  let channel: Awaited<ReturnType<ChannelModel['createChannel']>> | null = null;
  try {
    for (const queue of queues) {
      try {
        channel ??= await model.createChannel();
        // A missing queue closes the channel with 404; the next queue gets a new one.
        channel.on('error', () => undefined);
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        onQueue(queue, messageCount, consumerCount);
      } catch {
        channel = null;
      }
    }
  } finally {
    await channel?.close().catch(() => undefined);
  }
}

function queueDepth(registry: MetricsRegistry): QueueDepth {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const state: QueueDepth = { tracked: new Set(), sample: null };
  const perQueue = {
    labelNames: ['queue'] as const,
    registers: [registry],
    collect: () => sample(),
  };
  const messages = new promClient.Gauge({
    name: 'messaging_queue_messages',
    help: 'Messages ready in a queue this service consumes, its retry queues and its dead-letter queue, from the broker',
    ...perQueue,
  });
  const consumers = new promClient.Gauge({
    name: 'messaging_queue_consumers',
    help: 'Consumers attached to a queue this service consumes, from the broker',
    ...perQueue,
  });
  // Counted at scrape time; while the broker is away the last values stay, like outbox_pending.
  function sample(): Promise<void> {
    state.sample ??= (async () => {
      for (const { rabbit, queues } of state.tracked) {
        const model = rabbit.currentConnection();
        if (!model) continue;
        await checkQueues(model, queues, (queue, ready, attached) => {
          messages.set({ queue }, ready);
          consumers.set({ queue }, attached);
        });
      }
      setTimeout(() => (state.sample = null), SAMPLE_REUSE_MS).unref();
    })();
    return state.sample;
  }
  byRegistry.set(registry, state);
  return state;
}

/**
 * Reports the depth of `queues` (fully qualified names) on the service's /metrics, so a
 * dead-letter queue that fills, or a work queue nobody drains, is seen and alerted on from the
 * service that owns it, with or without the broker's own Prometheus plugin. Returns the untrack.
 */
export function trackQueueDepth(
  registry: MetricsRegistry,
  rabbit: RabbitConnection,
  queues: readonly string[],
): () => void {
  const { tracked } = queueDepth(registry);
  const entry = { rabbit, queues };
  tracked.add(entry);
  return () => tracked.delete(entry);
}
