import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { EXCHANGES } from '@shop/contracts';
import { deadQueueName, qualify, retryQueueName } from '@shop/messaging';
import { databaseUrl, dropDatabase } from '@shop/postgres';
import { deleteRedisKeys } from '@shop/testkit';

/** The queues the services' consumers declare (docs/architecture.md, "Events"). */
const CONSUMER_QUEUES = ['inventory-order-events', 'order-inventory-events'];
// More than any consumer configures: deleting a queue that does not exist is a no-op.
const MAX_RETRY_QUEUES = 10;

export interface SystemState {
  postgresUrl: string;
  databases: string[];
  redisUrl: string;
  redisPrefixes: string[];
  rabbitmqUrl: string;
  rabbitmqNamespace: string;
}

/**
 * Removes what a throwaway system (an end-to-end run, a benchmark) left on the shared servers:
 * its databases, its Redis keys, and its namespaced queues and exchanges.
 */
export async function removeSystemState(state: SystemState): Promise<void> {
  for (const name of state.databases) await dropDatabase(databaseUrl(state.postgresUrl, name));
  await deleteKeysUnder(state.redisUrl, state.redisPrefixes);
  await deleteRabbitNamespace(state.rabbitmqUrl, state.rabbitmqNamespace);
}

async function deleteKeysUnder(redisUrl: string, prefixes: string[]): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) await deleteRedisKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

async function deleteRabbitNamespace(rabbitmqUrl: string, namespace: string): Promise<void> {
  if (!namespace) throw new Error('Refusing to delete the un-namespaced production topology');
  const connection = await amqp.connect(rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of CONSUMER_QUEUES.map((name) => qualify(namespace, name))) {
      await channel.deleteQueue(queue);
      await channel.deleteQueue(deadQueueName(queue));
      for (let attempt = 1; attempt <= MAX_RETRY_QUEUES; attempt++) {
        await channel.deleteQueue(retryQueueName(queue, attempt));
      }
    }
    for (const exchange of EXCHANGES) await channel.deleteExchange(qualify(namespace, exchange));
    await channel.close();
  } finally {
    await connection.close();
  }
}
