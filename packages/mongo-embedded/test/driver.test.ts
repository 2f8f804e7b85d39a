import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MongoBulkWriteError, MongoServerError, ObjectId } from 'mongodb';
import type { CommandStartedEvent, Db, MongoClient } from 'mongodb';
import { openTarget } from './support/target';
import type { MongoTarget } from './support/target';

interface Product {
  _id?: ObjectId;
  sku: string;
  name: string;
  category: string;
  price: number;
  tags?: string[];
  stock?: number;
}

function catalog(count: number, category = 'lamps'): Product[] {
  return Array.from({ length: count }, (_, i) => ({
    sku: `${category}-${String(i).padStart(3, '0')}`,
    name: `${category} ${i}`,
    category,
    price: 100 + i,
  }));
}

describe('the official mongodb driver', () => {
  let target: MongoTarget;
  let client: MongoClient;
  let db: Db;
  const started: CommandStartedEvent[] = [];

  before(async () => {
    target = await openTarget('driver');
    client = await target.connect({ monitorCommands: true });
    client.on('commandStarted', (event) => started.push(event));
    db = client.db(target.databaseName);
  });

  after(async () => {
    await target.close();
  });

  test('when products are inserted, then find returns them with their ObjectIds, dates and nesting intact', async () => {
    const products = db.collection<Product & { addedAt: Date; dimensions: { w: number } }>(
      'insert_roundtrip',
    );
    const addedAt = new Date('2024-05-01T10:00:00Z');
    const { insertedId } = await products.insertOne({
      sku: 'L-1',
      name: 'Desk lamp',
      category: 'lamps',
      price: 1999,
      addedAt,
      dimensions: { w: 12 },
      tags: ['desk', 'led'],
    });

    const found = await products.findOne({ _id: insertedId });

    assert.ok(found);
    assert.ok(found._id instanceof ObjectId);
    assert.equal(found._id.toHexString(), insertedId.toHexString());
    assert.deepEqual(found.addedAt, addedAt);
    assert.deepEqual(found.dimensions, { w: 12 });
    assert.deepEqual(found.tags, ['desk', 'led']);
    assert.deepEqual(Object.keys(found)[0], '_id');
  });

  test('when a page is requested with filter, sort, skip, limit and projection, then exactly that page comes back', async () => {
    const products = db.collection<Product>('paging');
    await products.insertMany([...catalog(25, 'lamps'), ...catalog(5, 'chairs')]);

    const page = await products
      .find(
        { category: 'lamps', price: { $gte: 105 } },
        { projection: { _id: 0, sku: 1, price: 1 } },
      )
      .sort({ price: -1 })
      .skip(3)
      .limit(4)
      .toArray();

    assert.deepEqual(page, [
      { sku: 'lamps-021', price: 121 },
      { sku: 'lamps-020', price: 120 },
      { sku: 'lamps-019', price: 119 },
      { sku: 'lamps-018', price: 118 },
    ]);
    assert.equal(await products.countDocuments({ category: 'lamps', price: { $gte: 105 } }), 20);
    assert.equal(await products.estimatedDocumentCount(), 30);
  });

  test('when a result is larger than batchSize, then the driver fetches the rest with getMore', async () => {
    const products = db.collection<Product>('batching');
    await products.insertMany(catalog(35));
    started.length = 0;

    const all = await products.find({}, { batchSize: 10 }).sort({ sku: 1 }).toArray();

    assert.equal(all.length, 35);
    assert.equal(all[34]?.sku, 'lamps-034');
    const getMores = started.filter((event) => event.commandName === 'getMore');
    assert.equal(getMores.length, 3);
  });

  test('when a cursor is closed before it is exhausted, then killCursors frees it and a getMore on it fails', async () => {
    const products = db.collection<Product>('killing');
    await products.insertMany(catalog(20));
    const cursor = products.find({}, { batchSize: 5 });
    await cursor.next();
    const cursorId = cursor.id;
    assert.ok(cursorId && !cursorId.isZero());

    await cursor.close();

    const killed = started.filter((event) => event.commandName === 'killCursors');
    assert.ok(killed.length >= 1);
    await assert.rejects(
      db.command({ getMore: cursorId, collection: 'killing' }),
      (error: unknown) => error instanceof MongoServerError && error.code === 43,
    );
  });

  test('when distinct is asked for a category and for tags, then each value comes once and arrays are unwound', async () => {
    const products = db.collection<Product>('distinct');
    await products.insertMany([
      { sku: 'a', name: 'a', category: 'lamps', price: 1, tags: ['led', 'desk'] },
      { sku: 'b', name: 'b', category: 'lamps', price: 2, tags: ['led'] },
      { sku: 'c', name: 'c', category: 'chairs', price: 3, tags: ['oak'] },
    ]);

    const categories = await products.distinct('category');
    const tags = await products.distinct('tags', { category: 'lamps' });

    assert.deepEqual([...categories].sort(), ['chairs', 'lamps']);
    assert.deepEqual([...tags].sort(), ['desk', 'led']);
  });

  test('when updateMany, updateOne with upsert and deleteMany run, then counts and state match mongod', async () => {
    const products = db.collection<Product>('writes');
    await products.insertMany(catalog(6));

    const raised = await products.updateMany({ price: { $lt: 103 } }, { $inc: { price: 10 } });
    const unchanged = await products.updateOne({ sku: 'lamps-005' }, { $set: { price: 105 } });
    const upserted = await products.updateOne(
      { sku: 'new-1' },
      { $set: { price: 50 }, $setOnInsert: { name: 'New', category: 'lamps' } },
      { upsert: true },
    );
    const deleted = await products.deleteMany({ price: { $gte: 110 } });

    assert.equal(raised.matchedCount, 3);
    assert.equal(raised.modifiedCount, 3);
    assert.equal(unchanged.matchedCount, 1);
    assert.equal(unchanged.modifiedCount, 0);
    assert.equal(upserted.upsertedCount, 1);
    assert.ok(upserted.upsertedId instanceof ObjectId);
    assert.equal(deleted.deletedCount, 3);
    const inserted = await products.findOne({ sku: 'new-1' }, { projection: { _id: 0 } });
    assert.deepEqual(inserted, { sku: 'new-1', price: 50, name: 'New', category: 'lamps' });
    assert.equal(await products.countDocuments(), 4);
  });

  test('when an update uses a pipeline, then computed fields are written', async () => {
    const products = db.collection<Product & { total?: number }>('pipeline_update');
    await products.insertOne({ sku: 'p', name: 'p', category: 'lamps', price: 250, stock: 4 });

    await products.updateOne({ sku: 'p' }, [
      { $set: { total: { $multiply: ['$price', '$stock'] } } },
    ]);

    const updated = await products.findOne({ sku: 'p' });
    assert.equal(updated?.total, 1000);
  });

  test('when an order line is changed through the positional $ operator, then only the matched line changes', async () => {
    const orders = db.collection<{
      _id: string;
      items: Array<{ productId: string; quantity: number }>;
    }>('positional');
    await orders.insertOne({
      _id: 'order-1',
      items: [
        { productId: 'p-1', quantity: 1 },
        { productId: 'p-2', quantity: 2 },
        { productId: 'p-3', quantity: 3 },
      ],
    });

    await orders.updateOne(
      { _id: 'order-1', 'items.productId': 'p-2' },
      { $inc: { 'items.$.quantity': 10 } },
    );
    const afterElemMatch = await orders.findOneAndUpdate(
      { _id: 'order-1', items: { $elemMatch: { quantity: { $gte: 3 } } } },
      { $set: { 'items.$.quantity': 0 } },
      { returnDocument: 'after' },
    );
    const unmatched = await orders
      .updateOne({ _id: 'order-1' }, { $set: { 'items.$.quantity': 1 } })
      .catch((error: unknown) => error);

    assert.deepEqual(
      afterElemMatch?.items.map((item) => item.quantity),
      [1, 0, 3],
    );
    assert.ok(unmatched instanceof MongoServerError);
    assert.equal(unmatched.code, 2);
  });

  test('when findOneAndUpdate, findOneAndReplace and findOneAndDelete run, then before/after documents are returned', async () => {
    const products = db.collection<Product>('find_and_modify');
    await products.insertMany(catalog(3));

    const before = await products.findOneAndUpdate(
      { category: 'lamps' },
      { $inc: { price: 1 } },
      { sort: { price: -1 }, returnDocument: 'before' },
    );
    const after = await products.findOneAndUpdate(
      { sku: 'missing' },
      { $set: { price: 7 }, $setOnInsert: { name: 'x', category: 'misc' } },
      { upsert: true, returnDocument: 'after', projection: { _id: 0, sku: 1, price: 1 } },
    );
    const replaced = await products.findOneAndReplace(
      { sku: 'lamps-000' },
      { sku: 'lamps-000', name: 'renamed', category: 'lamps', price: 1 },
      { returnDocument: 'after' },
    );
    const removed = await products.findOneAndDelete({ sku: 'lamps-001' });
    const nothing = await products.findOneAndUpdate({ sku: 'nope' }, { $set: { price: 1 } });

    assert.equal(before?.sku, 'lamps-002');
    assert.equal(before?.price, 102);
    assert.equal((await products.findOne({ sku: 'lamps-002' }))?.price, 103);
    assert.deepEqual(after, { sku: 'missing', price: 7 });
    assert.equal(replaced?.name, 'renamed');
    assert.equal(removed?.sku, 'lamps-001');
    assert.equal(nothing, null);
    assert.equal(await products.countDocuments(), 3);
  });

  test('when an aggregation groups, sorts and facets, then the cursor returns the computed documents', async () => {
    const products = db.collection<Product>('aggregation');
    await products.insertMany([...catalog(4, 'lamps'), ...catalog(2, 'chairs')]);

    const byCategory = await products
      .aggregate([
        { $match: { price: { $gte: 100 } } },
        { $group: { _id: '$category', count: { $sum: 1 }, cheapest: { $min: '$price' } } },
        { $sort: { count: -1 } },
        { $project: { _id: 0, category: '$_id', count: 1, cheapest: 1 } },
      ])
      .toArray();
    const [facets] = await products
      .aggregate([
        {
          $facet: {
            total: [{ $count: 'n' }],
            topTwo: [{ $sort: { price: -1 } }, { $limit: 2 }, { $project: { _id: 0, sku: 1 } }],
            afterFirst: [{ $sort: { sku: 1 } }, { $skip: 5 }, { $project: { _id: 0, sku: 1 } }],
          },
        },
      ])
      .toArray();

    assert.deepEqual(byCategory, [
      { count: 4, cheapest: 100, category: 'lamps' },
      { count: 2, cheapest: 100, category: 'chairs' },
    ]);
    assert.deepEqual(facets, {
      total: [{ n: 6 }],
      topTwo: [{ sku: 'lamps-003' }, { sku: 'lamps-002' }],
      afterFirst: [{ sku: 'lamps-003' }],
    });
  });

  test('when a second product reuses a unique sku, then the write error has the E11000 shape of mongod', async () => {
    const products = db.collection<Product>('unique_sku');
    await products.createIndex({ sku: 1 }, { unique: true });
    await products.insertOne({ sku: 'L-1', name: 'one', category: 'lamps', price: 1 });

    const single = await products
      .insertOne({ sku: 'L-1', name: 'two', category: 'lamps', price: 2 })
      .catch((error: unknown) => error);
    const batch = await products
      .insertMany([
        { sku: 'L-2', name: 'ok', category: 'lamps', price: 3 },
        { sku: 'L-1', name: 'dup', category: 'lamps', price: 4 },
        { sku: 'L-3', name: 'not reached', category: 'lamps', price: 5 },
      ])
      .catch((error: unknown) => error);
    await products.insertOne({ sku: 'L-9', name: 'nine', category: 'lamps', price: 9 });
    const update = await products
      .updateOne({ sku: 'L-9' }, { $set: { sku: 'L-1' } })
      .catch((error: unknown) => error);

    const namespace = `${target.databaseName}.unique_sku`;
    const expected = `E11000 duplicate key error collection: ${namespace} index: sku_1 dup key: { sku: "L-1" }`;
    assert.ok(single instanceof MongoServerError);
    assert.equal(single.code, 11000);
    assert.equal(single.message, expected);
    assert.deepEqual(single['keyPattern'], { sku: 1 });
    assert.deepEqual(single['keyValue'], { sku: 'L-1' });
    assert.ok(batch instanceof MongoBulkWriteError);
    assert.equal(batch.insertedCount, 1);
    assert.equal([batch.writeErrors].flat()[0]?.index, 1);
    assert.ok(update instanceof MongoServerError);
    assert.equal(update.code, 11000);
    assert.equal(await products.countDocuments(), 3);
  });

  test('when compound, sparse, partial and multikey unique indexes exist, then each rejects only its own duplicates', async () => {
    const listings = db.collection('unique_shapes');
    await listings.createIndex({ sellerId: 1, sku: 1 }, { unique: true });
    await listings.createIndex({ barcode: 1 }, { unique: true, sparse: true });
    await listings.createIndex(
      { slug: 1 },
      { unique: true, partialFilterExpression: { published: true } },
    );
    await listings.createIndex({ aliases: 1 }, { unique: true });
    await listings.insertMany([
      { sellerId: 's1', sku: 'A', published: true, slug: 'lamp', aliases: ['desk-lamp', 'lamp-1'] },
      { sellerId: 's2', sku: 'A', published: false, slug: 'lamp', aliases: ['lamp-2'] },
      { sellerId: 's1', sku: 'B', aliases: ['lamp-3'] },
    ]);

    const attempts = [
      { sellerId: 's1', sku: 'A', aliases: ['x1'] },
      { sellerId: 's3', sku: 'C', barcode: null, aliases: ['x2'] },
      { sellerId: 's3', sku: 'D', barcode: null, aliases: ['x3'] },
      { sellerId: 's3', sku: 'E', published: true, slug: 'lamp', aliases: ['x4'] },
      { sellerId: 's3', sku: 'F', aliases: ['x5', 'lamp-1'] },
    ];
    const outcomes: Array<number | 'ok'> = [];
    for (const listing of attempts) {
      outcomes.push(
        await listings.insertOne(listing).then(
          () => 'ok' as const,
          (error: unknown) => (error instanceof MongoServerError ? Number(error.code) : -1),
        ),
      );
    }
    const aliasError = await listings
      .insertOne({ sellerId: 's4', sku: 'G', aliases: ['lamp-2'] })
      .catch((error: unknown) => error);

    // An explicit null is indexed even by a sparse index; only a missing field is skipped.
    assert.deepEqual(outcomes, [11000, 'ok', 11000, 11000, 11000]);
    assert.ok(aliasError instanceof MongoServerError);
    assert.deepEqual(aliasError['keyValue'], { aliases: 'lamp-2' });
  });

  test('when an index is created, listed and dropped, then listIndexes follows and duplicates block a unique index', async () => {
    const products = db.collection<Product>('index_admin');
    await products.insertMany([
      { sku: 'a', name: 'same', category: 'lamps', price: 1 },
      { sku: 'b', name: 'same', category: 'lamps', price: 2 },
    ]);

    const name = await products.createIndex({ category: 1, price: -1 });
    const again = await products.createIndex({ category: 1, price: -1 });
    const names = (await products.listIndexes().toArray()).map((index) => index['name']);
    const refused = await products
      .createIndex({ name: 1 }, { unique: true })
      .catch((error: unknown) => error);
    await products.dropIndex(name);
    const missing = await products.dropIndex('nope_1').catch((error: unknown) => error);

    assert.equal(name, 'category_1_price_-1');
    assert.equal(again, name);
    assert.deepEqual(names, ['_id_', 'category_1_price_-1']);
    assert.ok(refused instanceof MongoServerError);
    assert.equal(refused.code, 11000);
    assert.deepEqual(
      (await products.listIndexes().toArray()).map((index) => index['name']),
      ['_id_'],
    );
    assert.ok(missing instanceof MongoServerError);
    assert.equal(missing.code, 27);
  });

  test('when collections are created, listed and dropped, then the catalog follows', async () => {
    const scratch = client.db(`${target.databaseName}_catalog`);
    await scratch.createCollection('orders');
    await scratch.createCollection('orders');
    await scratch.collection('carts').insertOne({ userId: 'u1' });

    const listed = (await scratch.listCollections({}, { nameOnly: true }).toArray())
      .map((info) => info.name)
      .sort();
    const dropped = await scratch.collection('carts').drop();
    const afterDrop = (await scratch.listCollections().toArray()).map((info) => info.name);
    await scratch.dropDatabase();

    assert.deepEqual(listed, ['carts', 'orders']);
    assert.equal(dropped, true);
    assert.deepEqual(afterDrop, ['orders']);
    assert.deepEqual(await scratch.listCollections().toArray(), []);
  });

  test('when an unknown command is sent, then the reply is code 59 CommandNotFound', async () => {
    const error = await db.command({ restockEverything: 1 }).catch((e: unknown) => e);

    assert.ok(error instanceof MongoServerError);
    assert.equal(error.code, 59);
    assert.equal(error.codeName, 'CommandNotFound');
    assert.equal(error.message, "no such command: 'restockEverything'");
  });

  test('when a write is sent unacknowledged (w: 0), then it is applied without a reply', async () => {
    // One connection, so the read cannot overtake the unacknowledged write.
    const single = await target.connect({ maxPoolSize: 1 });
    const products = single.db(target.databaseName).collection<Product>('unacknowledged');

    const result = await products.insertOne(
      { sku: 'w0', name: 'fire and forget', category: 'lamps', price: 1 },
      { writeConcern: { w: 0 } },
    );
    const found = await products.findOne({ sku: 'w0' });

    assert.equal(result.acknowledged, false);
    assert.equal(found?.name, 'fire and forget');
  });

  test('when a transaction is attempted on this standalone server, then it is refused with IllegalOperation', async (t) => {
    const hello = await db.admin().command({ hello: 1 });
    if (hello['setName'] !== undefined || hello['msg'] === 'isdbgrid') {
      t.skip('MONGODB_URL is a replica set or mongos, where transactions are allowed');
      return;
    }
    const orders = db.collection<{ _id: string }>('transactions');
    const session = client.startSession();

    const error = await session
      .withTransaction(async () => {
        await orders.insertOne({ _id: 'in-txn' }, { session });
      })
      .catch((e: unknown) => e)
      .finally(() => session.endSession());

    assert.ok(error instanceof MongoServerError);
    assert.equal(error.code, 20);
    assert.equal(await orders.countDocuments(), 0);
  });

  test('when the server is asked who it is, then it reports a writable MongoDB 7.0-compatible standalone', async () => {
    const hello = await db.admin().command({ hello: 1 });
    const info = await db.admin().command({ buildInfo: 1 });

    assert.equal(hello['isWritablePrimary'], true);
    assert.ok(Number(hello['maxWireVersion']) >= 21);
    assert.equal(typeof hello['logicalSessionTimeoutMinutes'], 'number');
    assert.match(String(info['version']), /^\d+\.\d+/);
    assert.deepEqual(await db.command({ ping: 1 }), { ok: 1 });
  });
});
