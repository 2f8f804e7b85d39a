import type { Channel } from 'amqplib';
import type { EventCatalog } from './catalog';

/**
 * Names on the broker. A namespace ("t_abc.orders") lets parallel test suites share one broker
 * without seeing each other's messages; production runs without one.
 */
export function qualify(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}.${name}` : name;
}

export function retryQueueName(queue: string, attempt: number): string {
  return `${queue}.retry.${attempt}`;
}

export function deadQueueName(queue: string): string {
  return `${queue}.dead`;
}

/** Durable topic exchanges, so a broker restart keeps them and routing keys can be wildcarded. */
export async function declareExchanges(
  channel: Channel,
  namespace: string | undefined,
  exchanges: readonly string[],
) {
  for (const exchange of exchanges) {
    await channel.assertExchange(qualify(namespace, exchange), 'topic', { durable: true });
  }
}

/**
 * Quorum queues replicate through Raft and survive the loss of a minority of broker nodes, which a
 * classic queue on one node does not; classic stays as an option for brokers older than 3.10
 * (quorum queues learned message TTL then) and for deployments that have not migrated yet.
 */
export const QUEUE_TYPES = ['quorum', 'classic'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

/**
 * How often the broker may hand one message out before it gives up and dead-letters it to
 * `<queue>.dead` itself. Our consumer never requeues a message it failed on (it republishes to a
 * retry queue), so only a consumer that died holding it counts here: twenty such deaths mean the
 * message is killing its consumers and must stop going round.
 */
export const DELIVERY_LIMIT = 20;

export interface ConsumerTopology {
  /** Fully qualified main queue name. */
  queue: string;
  namespace: string | undefined;
  catalog: EventCatalog;
  events: readonly string[];
  retryDelaysMs: readonly number[];
  queueType: QueueType;
}

function workQueueArguments(queue: string, queueType: QueueType): Record<string, unknown> {
  if (queueType === 'classic') return {};
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': DELIVERY_LIMIT,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': deadQueueName(queue),
  };
}

/**
 * Declares `<queue>`, its retry queues `<queue>.retry.<n>` and `<queue>.dead`, and binds the main
 * queue to each event's exchange and routing key.
 *
 * Why one retry queue per attempt with a queue-wide x-message-ttl, rather than one queue with a
 * per-message expiration: RabbitMQ only expires messages at the head of a queue, so a long delay
 * would hold back shorter ones queued behind it. With one TTL per queue every message in it waits
 * the same time, and the delays grow attempt by attempt (e.g. 1 s, 5 s, 30 s).
 *
 * Why expired messages dead-letter through the default exchange straight to `<queue>`: going back
 * through the topic exchange would hand the retry to every other service bound to that event too.
 */
export async function declareConsumerTopology(channel: Channel, topology: ConsumerTopology) {
  const { queue, namespace } = topology;
  await channel.assertQueue(queue, {
    durable: true,
    arguments: workQueueArguments(queue, topology.queueType),
  });
  // The dead and retry queues only hold messages for a while; their type follows the work queue so
  // one broker setting (quorum needs a cluster-wide feature flag) covers everything.
  const holding = topology.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
  await channel.assertQueue(deadQueueName(queue), { durable: true, arguments: holding });
  for (const [index, delayMs] of topology.retryDelaysMs.entries()) {
    await channel.assertQueue(retryQueueName(queue, index + 1), {
      durable: true,
      arguments: {
        ...holding,
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
    });
  }
  await declareExchanges(channel, namespace, topology.catalog.exchanges);
  for (const type of topology.events) {
    const { exchange, routingKey } = topology.catalog.events[type]!;
    await channel.bindQueue(queue, qualify(namespace, exchange), routingKey);
  }
}
