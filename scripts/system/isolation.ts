import { testServers } from '@shop/testkit';
import { removeSystemState } from './cleanup';

/**
 * What keeps one throwaway system (an end-to-end run, a benchmark) apart from every other on the
 * shared Postgres, Redis and RabbitMQ: its own databases, Redis key prefixes and broker
 * namespace, all named after `namespace`, and how to remove them once it has stopped.
 */
export function isolatedSystem(namespace: string) {
  const databases = {
    users: `${namespace}_users`,
    orders: `${namespace}_orders`,
    inventory: `${namespace}_inventory`,
  };
  return {
    namespace,
    databases,
    /** The services' settings that put their keys, queues and exchanges under the namespace. */
    env: {
      RABBITMQ_NAMESPACE: namespace,
      RATE_LIMIT_PREFIX: `${namespace}:rate-limit:`,
      CACHE_KEY_PREFIX: `${namespace}:cache:`,
      REVOKED_SESSION_PREFIX: `${namespace}:revoked-session:`,
    },
    /** Drops the databases, the keys under `${namespace}:` and the namespace's queues and exchanges. */
    remove: (servers: { postgresUrl?: string; redisUrl?: string; rabbitmqUrl?: string } = {}) =>
      removeSystemState({
        postgresUrl: servers.postgresUrl ?? testServers.postgresUrl,
        databases: Object.values(databases),
        redisUrl: servers.redisUrl ?? testServers.redisUrl,
        redisPrefixes: [`${namespace}:`],
        rabbitmqUrl: servers.rabbitmqUrl ?? testServers.rabbitmqUrl,
        rabbitmqNamespace: namespace,
      }),
  };
}
