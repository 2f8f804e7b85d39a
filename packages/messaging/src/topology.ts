import type { Channel } from 'amqplib';
import { EXCHANGES, events, type EventType } from './catalog';

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
export async function declareExchanges(channel: Channel, namespace: string | undefined) {
  for (const exchange of EXCHANGES) {
    await channel.assertExchange(qualify(namespace, exchange), 'topic', { durable: true });
  }
}

export interface ConsumerTopology {
  /** Fully qualified main queue name. */
  queue: string;
  namespace: string | undefined;
  events: readonly EventType[];
  retryDelaysMs: readonly number[];
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
  await channel.assertQueue(queue, { durable: true });
  await channel.assertQueue(deadQueueName(queue), { durable: true });
  for (const [index, delayMs] of topology.retryDelaysMs.entries()) {
    await channel.assertQueue(retryQueueName(queue, index + 1), {
      durable: true,
      arguments: {
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
    });
  }
  await declareExchanges(channel, namespace);
  for (const type of topology.events) {
    const { exchange, routingKey } = events[type];
    await channel.bindQueue(queue, qualify(namespace, exchange), routingKey);
  }
}
