import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MongoClient, MongoServerError } from 'mongodb';
import { start } from '@shop/mongo-embedded';
import { externalUrl } from './support/target';

/*
 * Persistence is a property of the embedded server's dataDir; a real MongoDB at MONGODB_URL
 * cannot be restarted from a test, so this file only runs against the embedded server.
 */
const skip = externalUrl === undefined ? false : 'restarting needs the embedded server';

async function withClient<T>(uri: string, use: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await new MongoClient(uri).connect();
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

describe('the embedded server with a dataDir', { skip }, () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mongo-embedded-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('when it restarts, then products and their unique index are still there, and a dropped collection is not', async () => {
    const first = await start({ dataDir });
    await withClient(first.uri, async (client) => {
      const products = client.db('shop').collection('products');
      await products.createIndex({ sku: 1 }, { unique: true });
      await products.insertMany([
        { sku: 'P-1', price: 100, addedAt: new Date('2024-01-01T00:00:00Z') },
        { sku: 'P-2', price: 200 },
      ]);
      await products.updateOne({ sku: 'P-2' }, { $inc: { price: 50 } });
      await client.db('shop').collection('scratch').insertOne({ temporary: true });
      await client.db('shop').collection('scratch').drop();
    });
    await first.stop();
    // What a process killed in the middle of writing a snapshot leaves behind.
    const leftover = path.join(dataDir, 'shop', 'products.bson.999.1.tmp');
    await writeFile(leftover, 'half a snapshot');

    const second = await start({ dataDir });
    try {
      assert.ok(!(await readdir(path.join(dataDir, 'shop'))).includes(path.basename(leftover)));
      await withClient(second.uri, async (client) => {
        const products = client.db('shop').collection('products');
        const stored = await products.find({}, { projection: { _id: 0 } }).toArray();
        const duplicate = await products.insertOne({ sku: 'P-1' }).catch((e: unknown) => e);
        const collections = await client.db('shop').listCollections().toArray();

        assert.deepEqual(stored, [
          { sku: 'P-1', price: 100, addedAt: new Date('2024-01-01T00:00:00Z') },
          { sku: 'P-2', price: 250 },
        ]);
        assert.ok(duplicate instanceof MongoServerError);
        assert.equal(duplicate.code, 11000);
        assert.deepEqual(
          collections.map((info) => info.name),
          ['products'],
        );
      });
    } finally {
      await second.stop();
    }
  });

  test('when writes happen, then they reach disk shortly after without waiting for stop', async () => {
    const running = await start({ dataDir });
    try {
      await withClient(running.uri, (client) =>
        client.db('warehouse').collection('stock').insertOne({ sku: 'W-1', available: 3 }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));

      // A second server reading the same directory sees only what is on disk.
      const reader = await start({ dataDir });
      try {
        const stock = await withClient(reader.uri, (client) =>
          client.db('warehouse').collection('stock').findOne({ sku: 'W-1' }),
        );
        assert.equal(stock?.['available'], 3);
      } finally {
        await reader.stop();
      }
    } finally {
      await running.stop();
    }
  });

  test('when a database is dropped, then it is gone after a restart too', async () => {
    const first = await start({ dataDir });
    await withClient(first.uri, async (client) => {
      await client.db('gone').collection('things').insertOne({ a: 1 });
      await client.db('gone').dropDatabase();
    });
    await first.stop();

    const second = await start({ dataDir });
    try {
      const names = await withClient(second.uri, async (client) =>
        (await client.db('admin').admin().listDatabases()).databases.map((db) => db.name),
      );
      assert.ok(!names.includes('gone'));
      assert.ok(!(await readdir(dataDir)).includes('gone'));
    } finally {
      await second.stop();
    }
  });
});
