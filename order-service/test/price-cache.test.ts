import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { startTestServer } from '@shop/testkit';
import { productCatalogOverHttp } from '../src/clients/product-catalog';
import { startStubProductService, type StubProduct } from './support';

const MUG = 'c10000000000000000000001';
const TEA = 'c10000000000000000000002';
const UNKNOWN = 'c10000000000000000000009';

describe('the price cache of the product catalog client', () => {
  const products: StubProduct[] = [
    { id: MUG, name: 'Mug', price: 100 },
    { id: TEA, name: 'Tea', price: 200 },
  ];
  let stub: Awaited<ReturnType<typeof startStubProductService>>;
  let clock = 0;
  const catalogWith = (priceCacheMs: number) =>
    productCatalogOverHttp({ baseURL: stub.url, priceCacheMs, now: () => clock });
  const askedFor = () => stub.requests.map((url) => new URL(url, stub.url).searchParams.get('ids'));

  before(async () => {
    stub = await startStubProductService(products);
  });
  after(async () => {
    await stub.close();
  });

  test('when a price changes, then orders within PRICE_CACHE_MS see the old one, later ones the new, and only uncached products are asked for', async () => {
    stub.requests.length = 0;
    const catalog = catalogWith(1000);
    try {
      const first = await catalog.findProducts([MUG]);
      products[0]!.price = 150;
      clock += 500;
      const cached = await catalog.findProducts([MUG, TEA]);
      clock += 500;
      const expired = await catalog.findProducts([MUG]);

      assert.equal(first.get(MUG)?.price, 100);
      assert.equal(cached.get(MUG)?.price, 100, 'within the cache time: the price read before');
      assert.equal(cached.get(TEA)?.price, 200);
      assert.equal(expired.get(MUG)?.price, 150, 'past it: the new price');
      assert.deepEqual(askedFor(), [MUG, TEA, MUG]);
    } finally {
      products[0]!.price = 100;
      catalog.close();
    }
  });

  test('when a product is unknown, or PRICE_CACHE_MS is 0, then every order asks product-service', async () => {
    stub.requests.length = 0;
    const cachedCatalog = catalogWith(1000);
    const uncached = catalogWith(0);
    try {
      for (let i = 0; i < 2; i++) {
        assert.equal((await cachedCatalog.findProducts([UNKNOWN])).size, 0);
        assert.equal((await uncached.findProducts([MUG])).get(MUG)?.price, 100);
      }

      assert.deepEqual(askedFor(), [UNKNOWN, MUG, UNKNOWN, MUG]);
    } finally {
      cachedCatalog.close();
      uncached.close();
    }
  });

  test('when product-service is slow to answer, then the price is kept PRICE_CACHE_MS from the question, not from the answer', async () => {
    let asked = 0;
    const app = express();
    app.get('/products', (_req, res) => {
      asked += 1;
      clock += 900;
      res.json({ items: [{ id: MUG, name: 'Mug', price: 100 }], page: 1, limit: 100, total: 1 });
    });
    const slow = await startTestServer(app);
    const catalog = productCatalogOverHttp({
      baseURL: slow.url,
      priceCacheMs: 1000,
      now: () => clock,
    });
    try {
      await catalog.findProducts([MUG]);
      clock += 99;
      await catalog.findProducts([MUG]);
      const within = asked;
      clock += 1;
      await catalog.findProducts([MUG]);

      assert.equal(within, 1, '999 ms after the question: from the cache');
      assert.equal(
        asked,
        2,
        '1000 ms after the question, though 100 ms after the answer: asked again',
      );
    } finally {
      catalog.close();
      await slow.close();
    }
  });
});
