import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { start as startEmbeddedMongo } from '@shop/mongo-embedded';
import { spawnTs, waitForExit } from '@shop/testkit';
import { connectCatalog } from '../src/db/connection';
import demoCatalog from '../src/demo-catalog.json';
import { seedCatalog } from '../src/seed';
import { adminToken, useProductService } from './support';

describe('demo catalog seed', () => {
  const service = useProductService();

  const snapshot = () => service.database.products.find().sort({ sku: 1 }).lean().exec();

  test('when the demo catalog is seeded, then every product is listed with PRODUCT_CREATED waiting for each', async () => {
    const result = await seedCatalog(service.database.products);

    assert.deepEqual(result, { created: demoCatalog.length, unchanged: 0 });
    const listed = await service.http.get('/products?limit=100');
    assert.equal(listed.body.total, demoCatalog.length);
    const headphones = await service.http.get('/products?q=noise-cancelling');
    assert.equal(headphones.body.items[0].sku, 'EL-HEAD-001');
    assert.equal(headphones.body.items[0].price, 19999);
    const documents = await snapshot();
    for (const document of documents) {
      assert.equal(document.pendingEvents.length, 1);
      assert.equal(document.pendingEvents[0]!.type, 'PRODUCT_CREATED');
      assert.equal(document.pendingEvents[0]!.data.productId, document._id.toHexString());
      assert.equal(
        (document.pendingEvents[0]!.data as { initialStock?: number }).initialStock,
        demoCatalog.find((entry) => entry.sku === document.sku)!.initialStock,
      );
    }
  });

  test('when it is seeded again, then not one document changes', async () => {
    await seedCatalog(service.database.products);
    const before = await snapshot();

    const result = await seedCatalog(service.database.products);

    assert.deepEqual(result, { created: 0, unchanged: demoCatalog.length });
    assert.deepEqual(await snapshot(), before);
  });

  test('when an admin deleted a demo product, then seeding does not bring it back', async () => {
    await seedCatalog(service.database.products);
    const found = await service.http.get('/products?q=Dune');
    const dune = found.body.items[0];
    await service.http.delete(`/products/${dune.id}`, { token: adminToken });

    await seedCatalog(service.database.products);

    assert.equal((await service.http.get('/products?q=Dune')).body.total, 0);
  });

  test('when one entry of a catalog breaks the product schema, then the seed refuses and writes none of it', async () => {
    const catalog = [
      { ...demoCatalog[0]!, sku: 'SEED-VALID-1' },
      { ...demoCatalog[1]!, sku: 'SEED-NEGATIVE-2', price: -1 },
    ];

    await assert.rejects(seedCatalog(service.database.products, { catalog }), {
      name: 'ZodError',
    });

    const written = await service.database.products.countDocuments({
      sku: { $in: catalog.map((entry) => entry.sku) },
    });
    assert.equal(written, 0);
  });

  test('the demo catalog spans several categories with unique skus and stock for each product', () => {
    const skus = new Set(demoCatalog.map((entry) => entry.sku));
    const categories = new Set(demoCatalog.map((entry) => entry.category));

    assert.ok(demoCatalog.length >= 30);
    assert.equal(skus.size, demoCatalog.length);
    assert.ok(categories.size >= 5);
    assert.ok(demoCatalog.every((entry) => Number.isInteger(entry.initialStock)));
  });
});

test('when `npm run seed` runs without MONGODB_URL, then the catalog is kept in MONGO_DATA_DIR for the service', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'product-seed-'));
  try {
    const seeded = await waitForExit(
      spawnTs(path.join(__dirname, '..', 'src', 'seed.ts'), {
        MONGO_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
      }),
    );
    assert.equal(seeded.code, 0, seeded.stderr);
    assert.match(seeded.stdout, /embedded MongoDB-compatible server/);

    const mongo = await startEmbeddedMongo({ port: 0, dataDir });
    const database = await connectCatalog(`${mongo.uri}/products`);
    try {
      assert.equal(await database.products.countDocuments(), demoCatalog.length);
    } finally {
      await database.close();
      await mongo.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
