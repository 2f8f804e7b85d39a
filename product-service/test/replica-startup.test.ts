import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  brokerNamespace,
  deleteRedisKeys,
  startServiceProcess,
  testServers,
  waitFor,
  type ServiceProcess,
} from '@shop/testkit';
import { Redis } from 'ioredis';
import { connectCatalog, type CatalogDatabase } from '../src/db/connection';
import demoCatalog from '../src/demo-catalog.json';
import { tapProductEvents, testCatalogServer } from './support';

// Two replicas of product-service started at the same moment on one catalog, both told to seed
// the demo catalog, as `npm start -- --replicas 2` and a scaled Deployment do.
const broker = brokerNamespace('product_replicas');
const { namespace } = broker;
const cachePrefix = `${namespace}:cache:`;
let server: Awaited<ReturnType<typeof testCatalogServer>> | undefined;
let catalog: CatalogDatabase;
let tap: Awaited<ReturnType<typeof tapProductEvents>>;
const replicas: ServiceProcess[] = [];

before(async () => {
  server = await testCatalogServer();
  catalog = await connectCatalog(server.url);
  tap = await tapProductEvents(namespace);
});

after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await tap?.close();
  await broker.delete();
  await catalog?.connection.dropDatabase();
  await catalog?.close();
  await server?.stop();
  const redis = new Redis(testServers.redisUrl);
  await deleteRedisKeys(redis, cachePrefix);
  redis.disconnect();
});

async function startReplica(): Promise<ServiceProcess> {
  const replica = await startServiceProcess(
    path.resolve(__dirname, '..', 'src', 'main.ts'),
    {
      NODE_ENV: 'test',
      MONGODB_URL: server!.url,
      REDIS_URL: testServers.redisUrl,
      CACHE_KEY_PREFIX: cachePrefix,
      RABBITMQ_URL: testServers.rabbitmqUrl,
      RABBITMQ_NAMESPACE: namespace,
      SEED_DEMO_CATALOG: 'true',
    },
    { listenMs: 60_000, lifetimeMs: 180_000 },
  );
  replicas.push(replica);
  return replica;
}

test('when two replicas start at once and both seed the demo catalog, then it exists once, each product announced once', async () => {
  await Promise.all([startReplica(), startReplica()]);

  const documents = await catalog.products.find().lean().exec();
  assert.equal(documents.length, demoCatalog.length, 'one document per demo product');
  assert.equal(new Set(documents.map((document) => document.sku)).size, demoCatalog.length);

  // Whichever replica inserted a product queued its PRODUCT_CREATED; the other, finding the
  // product, queued nothing. Both relays may publish that one event (at least once: inventory's
  // inbox absorbs a second delivery by its eventId), so events are counted by id.
  const eventIdsByProduct = await waitFor(
    () => {
      const byProduct = new Map<string, Set<string>>();
      for (const event of tap.received.filter((each) => each.eventType === 'PRODUCT_CREATED')) {
        const productId = String(event.data.productId);
        byProduct.set(productId, (byProduct.get(productId) ?? new Set()).add(event.eventId));
      }
      return byProduct.size >= demoCatalog.length ? byProduct : undefined;
    },
    { what: 'a PRODUCT_CREATED per demo product', timeoutMs: 30_000 },
  );
  assert.deepEqual(
    [...eventIdsByProduct.keys()].sort(),
    documents.map((document) => document._id.toHexString()).sort(),
    'every stored product, and only those, announced',
  );
  for (const [productId, eventIds] of eventIdsByProduct) {
    assert.equal(eventIds.size, 1, `one PRODUCT_CREATED event for ${productId}`);
  }
});
