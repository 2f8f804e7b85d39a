import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { start as startEmbeddedMongo } from '@shop/mongo-embedded';
import {
  deleteRedisKeys,
  spawnTs,
  TEST_JWT_SECRET,
  testServers,
  uniqueName,
  waitFor,
  waitForExit,
  waitForOutput,
} from '@shop/testkit';
import { Redis } from 'ioredis';
import { connectCatalog, type CatalogDatabase } from '../src/db/connection';
import demoCatalog from '../src/demo-catalog.json';
import { tapProductEvents } from './support';

// Two replicas of product-service started at the same moment on one catalog, both told to seed
// the demo catalog, as `npm start -- --replicas 2` and a scaled Deployment do.
const namespace = uniqueName('product_replicas');
const cachePrefix = `${namespace}:cache:`;
let mongo: { uri: string; stop(): Promise<void> } | undefined;
let catalogUrl: string;
let catalog: CatalogDatabase;
let tap: Awaited<ReturnType<typeof tapProductEvents>>;
const replicas: ChildProcess[] = [];

before(async () => {
  const name = uniqueName('products');
  if (process.env.MONGODB_URL) {
    const url = new URL(process.env.MONGODB_URL);
    url.pathname = `/${name}`;
    catalogUrl = url.toString();
  } else {
    mongo = await startEmbeddedMongo({ port: 0 });
    catalogUrl = `${mongo.uri}/${name}`;
  }
  catalog = await connectCatalog(catalogUrl);
  tap = await tapProductEvents(namespace);
});

after(async () => {
  await Promise.all(
    replicas
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map((child) => {
        const exited = waitForExit(child, 20_000);
        child.kill('SIGTERM');
        return exited;
      }),
  );
  await tap?.close();
  await catalog?.connection.dropDatabase();
  await catalog?.close();
  await mongo?.stop();
  const redis = new Redis(testServers.redisUrl);
  await deleteRedisKeys(redis, cachePrefix);
  redis.disconnect();
});

function startReplica(): ChildProcess {
  const child = spawnTs(path.resolve(__dirname, '..', 'src', 'main.ts'), {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    MONGODB_URL: catalogUrl,
    REDIS_URL: testServers.redisUrl,
    CACHE_KEY_PREFIX: cachePrefix,
    RABBITMQ_URL: testServers.rabbitmqUrl,
    RABBITMQ_NAMESPACE: namespace,
    SEED_DEMO_CATALOG: 'true',
  });
  replicas.push(child);
  return child;
}

test('when two replicas start at once and both seed the demo catalog, then it exists once, each product announced once', async () => {
  const started = [startReplica(), startReplica()];
  await Promise.all(started.map((child) => waitForOutput(child, /listening on/, 60_000)));

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
