import amqp, { type ChannelModel } from 'amqplib';
import { EXCHANGES, shopEvents, type ShopEvents } from '@shop/contracts';
import {
  connectRabbit,
  deadQueueName,
  qualify,
  retryQueueName,
  type ConnectRabbitOptions,
  type RabbitConnection,
} from '@shop/messaging';
import type { Logger, MetricsRegistry } from '@shop/service-kit';
import { testServers } from './environment';
import { uniqueName } from './names';

/**
 * A test's own namespace on the shared broker, and the consumer queues the test starts in it:
 * production never deletes topology, so the test names its queues here and `delete` removes
 * them, their dead and retry queues, and the namespace's exchanges.
 */
export interface BrokerNamespace {
  readonly namespace: string;
  /** Notes a consumer queue (its logical name, as `startConsumer` takes it) and returns it. */
  queue(name: string): string;
  /**
   * The shop's connection in this namespace, as a service under test opens it: to the shared
   * broker unless `options.url` says otherwise, reconnecting within a tenth of a second at first
   * (production waits longer, tests cut and restore the broker on purpose).
   */
  connect(
    runtime: { logger: Logger; metrics: MetricsRegistry },
    options?: Partial<Omit<ConnectRabbitOptions<ShopEvents>, 'catalog' | 'namespace'>>,
  ): RabbitConnection<ShopEvents>;
  /**
   * Over a connection of its own straight to the broker, so a test whose connections sit behind
   * a cut proxy still cleans up.
   */
  delete(): Promise<void>;
}

export function brokerNamespace(prefix: string, namespace = uniqueName(prefix)): BrokerNamespace {
  const queues = new Set<string>();
  return {
    namespace,
    queue(name) {
      queues.add(name);
      return name;
    },
    connect: (runtime, options = {}) =>
      connectRabbit({
        url: testServers.rabbitmqUrl,
        reconnectDelayMs: 100,
        ...runtime,
        ...options,
        catalog: shopEvents,
        namespace,
      }),
    delete: () => deleteBrokerTopology(namespace, [...queues]),
  };
}

/**
 * Deletes a namespace's consumer queues (`queues`, by logical name) with their dead and retry
 * queues, and its exchanges; never the un-namespaced production topology.
 */
export async function deleteBrokerTopology(
  namespace: string,
  queues: readonly string[],
  rabbitmqUrl = testServers.rabbitmqUrl,
): Promise<void> {
  if (!namespace) throw new Error('only a namespaced (test) topology is deleted');
  const connection = await amqp.connect(rabbitmqUrl);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    for (const name of queues) {
      const queue = qualify(namespace, name);
      await channel.deleteQueue(queue);
      await channel.deleteQueue(deadQueueName(queue));
      // Retry queues are numbered from 1, one per delay the consumer was given.
      for (let attempt = 1; ; attempt += 1) {
        const retry = retryQueueName(queue, attempt);
        if (!(await queueExists(connection, retry))) break;
        await channel.deleteQueue(retry);
      }
    }
    for (const exchange of EXCHANGES) await channel.deleteExchange(qualify(namespace, exchange));
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function queueExists(connection: ChannelModel, queue: string): Promise<boolean> {
  // The broker closes a channel that asks after a missing queue, so each question gets its own.
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(queue);
    await probe.close();
    return true;
  } catch {
    return false;
  }
}
