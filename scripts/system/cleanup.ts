import { Redis } from 'ioredis';
import { QUEUES } from '@shop/contracts';
import { databaseUrl, dropDatabase } from '@shop/postgres';
import { deleteBrokerTopology, deleteRedisKeys } from '@shop/testkit';

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
  await deleteBrokerTopology(state.rabbitmqNamespace, Object.values(QUEUES), state.rabbitmqUrl);
}

async function deleteKeysUnder(redisUrl: string, prefixes: string[]): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) await deleteRedisKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
