import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTcpProxy, testServers, waitFor, type TcpProxy } from '@shop/testkit';
import { Types } from 'mongoose';
import {
  aProduct,
  adminToken,
  cacheCounter,
  createTestCatalogDatabase,
  startProductService,
  type ServiceUnderTest,
  type TestCatalogDatabase,
  useProductService,
} from './support';

async function createProduct(service: ServiceUnderTest, overrides = {}) {
  const answer = await service.http.post('/products', aProduct(overrides), { token: adminToken });
  assert.equal(answer.status, 201, answer.text);
  return answer.body as { id: string; price: number; category: string };
}

/** Changes a product behind the service's back, so only a cache can still show the old value. */
async function setPriceInMongo(service: ServiceUnderTest, id: string, price: number) {
  await service.database.products.collection.updateOne(
    { _id: new Types.ObjectId(id) },
    { $set: { price } },
  );
}

describe('catalog cache', () => {
  const service = useProductService();

  test('when a product is read twice, then the second read is a cache hit that does not touch MongoDB', async () => {
    const product = await createProduct(service, { price: 1000 });
    const hitsBefore = await cacheCounter(service.metrics, 'cache_hits_total', 'product');
    const missesBefore = await cacheCounter(service.metrics, 'cache_misses_total', 'product');

    const first = await service.http.get(`/products/${product.id}`);
    await setPriceInMongo(service, product.id, 1);
    const second = await service.http.get(`/products/${product.id}`);

    assert.equal(first.body.price, 1000);
    assert.equal(second.body.price, 1000, 'served from the cache, not from MongoDB');
    assert.equal(
      await cacheCounter(service.metrics, 'cache_misses_total', 'product'),
      missesBefore + 1,
    );
    assert.equal(
      await cacheCounter(service.metrics, 'cache_hits_total', 'product'),
      hitsBefore + 1,
    );
    const exposed = await service.http.get('/metrics');
    assert.match(
      exposed.text,
      /^cache_hits_total\{kind="product",service="product-service"\} \d+$/m,
    );
    assert.match(
      exposed.text,
      /^cache_misses_total\{kind="product",service="product-service"\} \d+$/m,
    );
  });

  test('when a product is patched through the API, then the next read, single and listed, shows the new price', async () => {
    const product = await createProduct(service, { price: 2000, category: 'patched-cache' });
    const listPath = '/products?category=patched-cache';
    await service.http.get(`/products/${product.id}`);
    await service.http.get(listPath);
    await setPriceInMongo(service, product.id, 1);
    assert.equal((await service.http.get(`/products/${product.id}`)).body.price, 2000);
    assert.equal((await service.http.get(listPath)).body.items[0].price, 2000);

    const patched = await service.http.patch(
      `/products/${product.id}`,
      { price: 2500 },
      { token: adminToken },
    );

    assert.equal(patched.status, 200);
    assert.equal((await service.http.get(`/products/${product.id}`)).body.price, 2500);
    assert.equal((await service.http.get(listPath)).body.items[0].price, 2500);
  });

  test('when any product is written, then every cached list page goes stale at once', async () => {
    const listed = await createProduct(service, { price: 3000, category: 'stale-lists' });
    const pages = ['/products?category=stale-lists', '/products?category=stale-lists&sort=price'];
    for (const page of pages) await service.http.get(page);
    const listHits = await cacheCounter(service.metrics, 'cache_hits_total', 'list');
    await setPriceInMongo(service, listed.id, 3100);
    for (const page of pages)
      assert.equal((await service.http.get(page)).body.items[0].price, 3000);
    assert.equal(await cacheCounter(service.metrics, 'cache_hits_total', 'list'), listHits + 2);

    await createProduct(service, { category: 'elsewhere' });

    for (const page of pages) {
      const answer = await service.http.get(page);
      assert.equal(answer.body.items[0].price, 3100, page);
    }
  });

  test('when a product is deleted, then cached reads of it stop at once', async () => {
    const product = await createProduct(service);
    assert.equal((await service.http.get(`/products/${product.id}`)).status, 200);

    await service.http.delete(`/products/${product.id}`, { token: adminToken });

    assert.equal((await service.http.get(`/products/${product.id}`)).status, 404);
  });

  test('when many reads of an uncached product arrive together, then MongoDB is asked once', async () => {
    const product = await createProduct(service);
    const loadsBefore = await cacheCounter(service.metrics, 'cache_loads_total', 'product');

    const answers = await Promise.all(
      Array.from({ length: 25 }, () => service.http.get(`/products/${product.id}`)),
    );

    assert.ok(answers.every((answer) => answer.status === 200 && answer.body.id === product.id));
    assert.equal(
      await cacheCounter(service.metrics, 'cache_loads_total', 'product'),
      loadsBefore + 1,
    );
  });
});

describe('catalog cache: products listed by id', () => {
  const service = useProductService();
  const counted = async () => ({
    hits: await cacheCounter(service.metrics, 'cache_hits_total', 'product'),
    misses: await cacheCounter(service.metrics, 'cache_misses_total', 'product'),
  });
  const prices = (answer: { body: { items: { id: string; price: number }[] } }) =>
    Object.fromEntries(answer.body.items.map((item) => [item.id, item.price]));

  test('when products are listed by ids, then each comes from the entry single reads use, whatever the combination, and a write is seen at once', async () => {
    const a = await createProduct(service, { price: 100 });
    const b = await createProduct(service, { price: 200 });
    await service.http.get(`/products/${a.id}`);
    const before = await counted();

    const first = await service.http.get(`/products?ids=${a.id},${b.id}`);
    const afterFirst = await counted();
    await setPriceInMongo(service, a.id, 1);
    await setPriceInMongo(service, b.id, 2);
    const reordered = await service.http.get(`/products?ids=${b.id},${a.id}`);
    const single = await service.http.get(`/products/${b.id}`);
    const afterCached = await counted();
    await service.http.patch(`/products/${a.id}`, { price: 150 }, { token: adminToken });
    const afterWrite = await service.http.get(`/products?ids=${a.id},${b.id}`);

    assert.deepEqual(prices(first), { [a.id]: 100, [b.id]: 200 });
    assert.deepEqual(afterFirst, { hits: before.hits + 1, misses: before.misses + 1 });
    assert.deepEqual(prices(reordered), { [a.id]: 100, [b.id]: 200 }, 'both from the cache');
    assert.equal(single.body.price, 200, 'the entry the ids read stored');
    assert.deepEqual(afterCached, { hits: afterFirst.hits + 3, misses: afterFirst.misses });
    assert.deepEqual(
      prices(afterWrite),
      { [a.id]: 150, [b.id]: 2 },
      'a write makes every entry stale, so both are read from MongoDB again',
    );
  });

  test('when products are listed by ids, then the page, its order and its total are the ones MongoDB gives', async () => {
    const created = [];
    for (const [name, price] of [
      ['Zeta', 300],
      ['alpha', 100],
      ['Beta', 200],
      ['beta', 100],
      ['Omega', 500],
    ] as const) {
      created.push(await createProduct(service, { name, price }));
    }
    await service.http.delete(`/products/${created[4]!.id}`, { token: adminToken });
    const ids = [...created.map((product) => product.id), new Types.ObjectId().toHexString()];
    await service.http.get(`/products/${created[0]!.id}`);

    for (const sort of ['price', '-price', 'name', 'newest']) {
      for (const [page, limit] of [
        [1, 100],
        [1, 2],
        [2, 2],
        [3, 2],
      ]) {
        const query = `ids=${ids.join(',')}&sort=${sort}&page=${page}&limit=${limit}`;
        const byId = await service.http.get(`/products?${query}`);
        // Any other filter makes it a query MongoDB answers; every price here is at least 0.
        const fromMongo = await service.http.get(`/products?${query}&minPrice=0`);

        assert.equal(byId.status, 200, byId.text);
        assert.deepEqual(byId.body, fromMongo.body, query);
      }
    }
  });
});

describe('catalog cache across replicas', () => {
  let database: TestCatalogDatabase;
  let replicas: ServiceUnderTest[];

  before(async () => {
    database = await createTestCatalogDatabase();
    const first = await startProductService({ database, cache: { lockWaitMs: 2000 } });
    const second = await startProductService({
      database,
      cache: { lockWaitMs: 2000, keyPrefix: first.keyPrefix },
    });
    replicas = [first, second];
  });
  after(async () => {
    for (const replica of replicas) await replica.close();
    await database.destroy();
  });

  test('when two replicas miss the same list page together, then only one loads it from MongoDB', async () => {
    const [first, second] = replicas as [ServiceUnderTest, ServiceUnderTest];
    await createProduct(first, { category: 'shared-lock' });
    const path = '/products?category=shared-lock';
    const loads = async () =>
      (await cacheCounter(first.metrics, 'cache_loads_total', 'list')) +
      (await cacheCounter(second.metrics, 'cache_loads_total', 'list'));
    const before = await loads();

    const answers = await Promise.all([first.http.get(path), second.http.get(path)]);

    assert.deepEqual(answers[0].body, answers[1].body);
    assert.equal(answers[0].body.total, 1);
    assert.equal(await loads(), before + 1);
  });

  test('when one replica writes, then the other replica reads the change at once', async () => {
    const [first, second] = replicas as [ServiceUnderTest, ServiceUnderTest];
    const product = await createProduct(first, { price: 700 });
    assert.equal((await second.http.get(`/products/${product.id}`)).body.price, 700);

    await first.http.patch(`/products/${product.id}`, { price: 800 }, { token: adminToken });

    assert.equal((await second.http.get(`/products/${product.id}`)).body.price, 800);
  });
});

describe('catalog without Redis', () => {
  let proxy: TcpProxy;
  let service: ServiceUnderTest;

  before(async () => {
    const redis = new URL(testServers.redisUrl);
    proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    service = await startProductService({ redisUrl: proxy.wrap(testServers.redisUrl) });
  });
  after(async () => {
    proxy.restore();
    await service.close();
    await proxy.close();
  });

  test('when Redis goes away, then reads come from MongoDB quickly, writes work, /ready stays 200, and nothing stale is served after it returns', async () => {
    const product = await createProduct(service, { price: 900, category: 'no-redis' });
    assert.equal((await service.http.get(`/products/${product.id}`)).body.price, 900);
    assert.equal((await service.http.get('/products?category=no-redis')).body.total, 1);

    proxy.cut();
    await setPriceInMongo(service, product.id, 950);
    const started = Date.now();
    const single = await service.http.get(`/products/${product.id}`);
    const list = await service.http.get('/products?category=no-redis');
    const ready = await service.http.get('/ready');
    const patched = await service.http.patch(
      `/products/${product.id}`,
      { price: 990 },
      { token: adminToken },
    );
    const afterPatch = await service.http.get(`/products/${product.id}`);
    const elapsed = Date.now() - started;

    assert.equal(single.status, 200);
    assert.equal(single.body.price, 950, 'read from MongoDB, not the unreachable cache');
    assert.equal(list.status, 200);
    assert.equal(list.body.items[0].price, 950);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(patched.status, 200);
    assert.equal(afterPatch.body.price, 990);
    assert.ok(elapsed < 2000, `five calls took ${elapsed} ms with Redis away`);
    assert.ok(
      (await service.metrics.getSingleMetricAsString('cache_errors_total')).includes(
        'operation="get"',
      ),
    );

    proxy.restore();
    await waitFor(() => service.redis.status === 'ready', { what: 'Redis reconnected' });
    const back = await service.http.get(`/products/${product.id}`);
    const backList = await service.http.get('/products?category=no-redis');

    assert.equal(back.body.price, 990, 'the invalidation owed during the outage was made');
    assert.equal(backList.body.items[0].price, 990);
  });
});
