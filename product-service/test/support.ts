import assert from 'node:assert/strict';
import { start as startEmbeddedMongo } from '@shop/mongo-embedded';
import {
  createLogger,
  createMetricsRegistry,
  type LogLevel,
  type MetricsRegistry,
} from '@shop/service-kit';
import type { clientFor } from '@shop/testkit';
import {
  deleteRedisKeys,
  serveForTest,
  TEST_JWT_SECRET,
  testServers,
  tokenFor,
  uniqueName,
  useSuite,
  waitFor,
} from '@shop/testkit';
import { qualify } from '@shop/messaging';
import amqp, { type ChannelModel } from 'amqplib';
import type { Redis } from 'ioredis';
import type { CatalogCacheSettings } from '../src/cache/catalog-cache';
import { createCacheRedis } from '../src/cache/redis';
import { connectCatalog, type CatalogDatabase } from '../src/db/connection';
import type { NewProduct } from '../src/domain/product';
import type { ProductEventPublisher, ProductEventRelay } from '../src/events/product-event-relay';
import { startCatalogService } from '../src/service';

export const logger = createLogger({
  service: 'product-service-test',
  level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'silent',
});

export const adminToken = tokenFor({ userId: 'admin-1', role: 'admin' });
export const customerToken = tokenFor({ userId: 'customer-1', role: 'customer' });

export interface TestCatalogDatabase extends CatalogDatabase {
  /** Drops the suite's database and stops the embedded server if one was started. */
  destroy(): Promise<void>;
}

/**
 * Where one suite's catalog database is: a unique database on MONGODB_URL when it is set, else
 * on an embedded MongoDB-compatible server in this process, which `stop` ends.
 */
export async function testCatalogServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const name = uniqueName('products');
  if (process.env.MONGODB_URL) {
    const url = new URL(process.env.MONGODB_URL);
    url.pathname = `/${name}`;
    return { url: url.toString(), stop: async () => undefined };
  }
  const embedded = await startEmbeddedMongo({ port: 0 });
  return { url: `${embedded.uri}/${name}`, stop: () => embedded.stop() };
}

/** A fresh catalog database for one suite, on testCatalogServer. */
export async function createTestCatalogDatabase(): Promise<TestCatalogDatabase> {
  const server = await testCatalogServer();
  const database = await connectCatalog(server.url);
  return {
    ...database,
    destroy: async () => {
      await database.connection.dropDatabase();
      await database.close();
      await server.stop();
    },
  };
}

export interface ServiceUnderTest {
  url: string;
  http: ReturnType<typeof clientFor>;
  database: TestCatalogDatabase;
  redis: Redis;
  metrics: MetricsRegistry;
  keyPrefix: string;
  /** Nudged by every write; a test may nudge it too. */
  relay: ProductEventRelay;
  close(): Promise<void>;
}

/** No broker: every publish fails, so product events wait in their documents as they would. */
const brokerAway: ProductEventPublisher = {
  publish: () => Promise.reject(new Error('no broker in this suite')),
};

/**
 * product-service as main.ts starts it (src/service.ts), in-process on a random port, with its
 * own database and its own Redis key prefix. Without a `publisher` the broker is away.
 */
export async function startProductService(
  options: {
    redisUrl?: string;
    cache?: Partial<CatalogCacheSettings>;
    publisher?: ProductEventPublisher;
    relayIntervalMs?: number;
    database?: TestCatalogDatabase;
    redisCommandTimeoutMs?: number;
  } = {},
): Promise<ServiceUnderTest> {
  const database = options.database ?? (await createTestCatalogDatabase());
  const keyPrefix = `${uniqueName('test:product-service')}:`;
  const redis = createCacheRedis(options.redisUrl ?? testServers.redisUrl, logger, {
    maxReconnectDelayMs: 100,
    commandTimeoutMs: options.redisCommandTimeoutMs,
  });
  // Commands fail at once until the client is connected; start with a connected cache.
  await waitFor(() => redis.status === 'ready', { timeoutMs: 5000, what: 'Redis' });
  const metrics = createMetricsRegistry('product-service');
  const service = await startCatalogService(
    {
      JWT_SECRET: TEST_JWT_SECRET,
      SEED_DEMO_CATALOG: false,
      cache: {
        keyPrefix,
        productTtlSeconds: 60,
        listTtlSeconds: 60,
        lockTtlMs: 1000,
        lockWaitMs: 200,
        ...options.cache,
      },
      ...(options.relayIntervalMs ? { relayIntervalMs: options.relayIntervalMs } : {}),
    },
    { database, redis, publisher: options.publisher ?? brokerAway },
    { logger, metrics },
  );
  const served = await serveForTest(service);
  return {
    url: served.url,
    http: served.http,
    database,
    redis,
    metrics,
    keyPrefix,
    relay: service.relay,
    async close() {
      await served.close();
      if (redis.status === 'ready') await deleteRedisKeys(redis, keyPrefix);
      redis.disconnect();
      if (!options.database) await database.destroy();
    },
  };
}

/** At the top of a suite: the service before its tests, closed after them. */
export function useProductService(
  options: () => Parameters<typeof startProductService>[0] = () => ({}),
): ServiceUnderTest {
  return useSuite(
    () => startProductService(options()),
    (service) => service.close(),
  );
}

/** The value of one cache counter, e.g. cacheCounter(metrics, 'cache_hits_total', 'product'). */
export async function cacheCounter(
  metrics: MetricsRegistry,
  name: string,
  kind: 'product' | 'list',
): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  const { values } = await metric.get();
  return values.find((value) => value.labels.kind === kind)?.value ?? 0;
}

let skuCounter = 0;

export function aProduct(overrides: Partial<NewProduct> = {}): NewProduct {
  skuCounter += 1;
  return {
    name: 'Walnut Desk Lamp',
    description: 'A warm light for late reading',
    price: 4999,
    category: 'lighting',
    sku: `LAMP-${process.pid}-${skuCounter}`,
    ...overrides,
  };
}

export interface ReceivedEvent {
  eventId: string;
  eventType: string;
  correlationId: string | null;
  data: Record<string, unknown>;
}

/** A queue of the test's own, bound to every product event of the namespace. */
export async function tapProductEvents(namespace: string) {
  const connection: ChannelModel = await amqp.connect(testServers.rabbitmqUrl);
  const channel = await connection.createChannel();
  const exchange = qualify(namespace, 'products');
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, 'product.*');
  const received: ReceivedEvent[] = [];
  await channel.consume(
    queue,
    (message) => message && received.push(JSON.parse(message.content.toString())),
    { noAck: true },
  );
  return {
    received,
    // Its queue is exclusive and goes with the connection; the namespace's exchanges are the
    // test's to delete (testkit's brokerNamespace).
    close: () => connection.close(),
  };
}
