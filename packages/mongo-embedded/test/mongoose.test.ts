import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import type { Connection, Model } from 'mongoose';
import { openTarget } from './support/target';
import type { MongoTarget } from './support/target';

interface ProductFields {
  sku: string;
  name: string;
  category: string;
  price: number;
  tags: string[];
}

interface CounterFields {
  name: string;
  value: number;
}

const productSchema = new mongoose.Schema<ProductFields>(
  {
    sku: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    category: { type: String, required: true, index: true },
    price: { type: Number, required: true, min: 0, validate: Number.isInteger },
    tags: { type: [String], default: [] },
  },
  { timestamps: true },
);

const counterSchema = new mongoose.Schema<CounterFields>({
  name: { type: String, required: true, unique: true },
  value: { type: Number, default: 0 },
});

describe('mongoose', () => {
  let target: MongoTarget;
  let connection: Connection;
  let Product: Model<ProductFields>;
  let Counter: Model<CounterFields>;

  before(async () => {
    target = await openTarget('mongoose');
    connection = await mongoose
      .createConnection(target.uri, { dbName: target.databaseName })
      .asPromise();
    Product = connection.model('Product', productSchema);
    Counter = connection.model('Counter', counterSchema);
    await Promise.all([Product.init(), Counter.init()]);
  });

  after(async () => {
    await connection.close();
    await target.close();
  });

  test('when the models initialise, then their collections and unique indexes exist', async () => {
    const indexes = await Product.listIndexes();
    const sku = indexes.find((index) => index['name'] === 'sku_1');
    const collections = (await connection.listCollections()).map((info) => info.name).sort();

    assert.deepEqual(collections, ['counters', 'products']);
    assert.deepEqual(sku?.['key'], { sku: 1 });
    assert.equal(sku?.['unique'], true);
    assert.ok(indexes.some((index) => index['name'] === 'category_1'));
  });

  test('when a product breaks its schema, then mongoose rejects it and nothing is stored', async () => {
    const error = await Product.create({
      sku: 'bad-1',
      name: 'Bad',
      category: 'lamps',
      price: -5,
    }).catch((e: unknown) => e);

    assert.ok(error instanceof mongoose.Error.ValidationError);
    assert.ok('price' in error.errors);
    assert.equal(await Product.countDocuments({ sku: 'bad-1' }), 0);
  });

  test('when a second product reuses a sku, then mongoose raises MongoServerError 11000 as with mongod', async () => {
    await Product.create({ sku: 'DUP-1', name: 'First', category: 'lamps', price: 100 });

    const error = await Product.create({
      sku: 'DUP-1',
      name: 'Second',
      category: 'lamps',
      price: 200,
    }).catch((e: unknown) => e);
    const viaUpdate = await Product.findOneAndUpdate(
      { sku: 'nonexistent' },
      { $set: { sku: 'DUP-1', name: 'x', category: 'lamps', price: 1 } },
      { upsert: true },
    ).catch((e: unknown) => e);

    for (const failure of [error, viaUpdate]) {
      assert.ok(failure instanceof Error);
      assert.equal(failure.constructor.name, 'MongoServerError');
      assert.equal((failure as Error & { code?: number }).code, 11000);
      assert.deepEqual((failure as Error & { keyValue?: unknown }).keyValue, { sku: 'DUP-1' });
    }
    assert.equal(await Product.countDocuments({ sku: 'DUP-1' }), 1);
  });

  test('when 200 orders increment one counter in parallel, then no increment is lost', async () => {
    await Counter.create({ name: 'orders', value: 0 });

    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        Counter.findOneAndUpdate({ name: 'orders' }, { $inc: { value: 1 } }, { new: true }).lean(),
      ),
    );

    const final = await Counter.findOne({ name: 'orders' }).lean();
    assert.equal(final?.value, 200);
    const seen = results.map((counter) => counter?.value).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(
      seen,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });

  test('when an upsert increments a counter that does not exist yet, then it is created once', async () => {
    const first = await Counter.findOneAndUpdate(
      { name: 'invoices' },
      { $inc: { value: 5 } },
      { upsert: true, new: true },
    ).lean();
    const second = await Counter.findOneAndUpdate(
      { name: 'invoices' },
      { $inc: { value: 5 } },
      { upsert: true, new: true },
    ).lean();

    assert.equal(first?.value, 5);
    assert.equal(second?.value, 10);
    assert.equal(await Counter.countDocuments({ name: 'invoices' }), 1);
  });

  test('when the catalogue is paged by price, then pages and total match the filter', async () => {
    await Product.insertMany(
      Array.from({ length: 23 }, (_, i) => ({
        sku: `PAGE-${i}`,
        name: `Shelf ${i}`,
        category: 'shelves',
        price: 1000 + i * 10,
      })),
    );
    const filter = { category: 'shelves', price: { $gte: 1050 } };

    const [secondPage, total] = await Promise.all([
      Product.find(filter).sort({ price: 1 }).skip(5).limit(5).lean(),
      Product.countDocuments(filter),
    ]);

    assert.equal(total, 18);
    assert.deepEqual(
      secondPage.map((product) => product.price),
      [1100, 1110, 1120, 1130, 1140],
    );
  });

  test('when shoppers search names case-insensitively, then $regex finds every spelling', async () => {
    await Product.insertMany([
      { sku: 'S-1', name: 'Brass Desk LAMP', category: 'search', price: 1 },
      { sku: 'S-2', name: 'floor lamp', category: 'search', price: 2 },
      { sku: 'S-3', name: 'Lampshade', category: 'search', price: 3 },
      { sku: 'S-4', name: 'Oak chair', category: 'search', price: 4 },
    ]);

    const byOperator = await Product.find({
      category: 'search',
      name: { $regex: 'lamp', $options: 'i' },
    })
      .sort({ sku: 1 })
      .lean();
    const byLiteral = await Product.find({ category: 'search', name: /^lamp/i }).lean();

    assert.deepEqual(
      byOperator.map((product) => product.sku),
      ['S-1', 'S-2', 'S-3'],
    );
    assert.deepEqual(
      byLiteral.map((product) => product.sku),
      ['S-3'],
    );
  });

  test('when sales figures are aggregated, then $group and $facet give totals per category', async () => {
    await Product.insertMany([
      { sku: 'A-1', name: 'a', category: 'agg-lamps', price: 10, tags: ['led'] },
      { sku: 'A-2', name: 'b', category: 'agg-lamps', price: 30, tags: ['led', 'desk'] },
      { sku: 'A-3', name: 'c', category: 'agg-chairs', price: 50 },
    ]);

    const perCategory = await Product.aggregate<{ _id: string; total: number; average: number }>([
      { $match: { category: { $in: ['agg-lamps', 'agg-chairs'] } } },
      { $group: { _id: '$category', total: { $sum: '$price' }, average: { $avg: '$price' } } },
      { $sort: { _id: 1 } },
    ]);
    const [facets] = await Product.aggregate<{
      count: Array<{ n: number }>;
      tags: Array<{ _id: string; uses: number }>;
    }>([
      { $match: { sku: { $in: ['A-1', 'A-2', 'A-3'] } } },
      {
        $facet: {
          count: [{ $count: 'n' }],
          tags: [
            { $unwind: '$tags' },
            { $group: { _id: '$tags', uses: { $sum: 1 } } },
            { $sort: { uses: -1, _id: 1 } },
          ],
        },
      },
    ]);

    assert.deepEqual(perCategory, [
      { _id: 'agg-chairs', total: 50, average: 50 },
      { _id: 'agg-lamps', total: 40, average: 20 },
    ]);
    assert.deepEqual(facets?.count, [{ n: 3 }]);
    assert.deepEqual(facets?.tags, [
      { _id: 'led', uses: 2 },
      { _id: 'desk', uses: 1 },
    ]);
  });

  test('when a product is updated, then timestamps move and the schema casts the update', async () => {
    const created = await Product.create({ sku: 'T-1', name: 'Stool', category: 'misc', price: 5 });
    await new Promise((resolve) => setTimeout(resolve, 5));

    const updated = await Product.findOneAndUpdate(
      { _id: created._id },
      { price: '7' },
      { new: true },
    ).lean();

    assert.equal(updated?.price, 7);
    const timestamps = updated as unknown as { createdAt: Date; updatedAt: Date };
    assert.ok(timestamps.updatedAt > timestamps.createdAt);
  });

  test('when a category is cleared out, then deleteMany removes exactly its products', async () => {
    await Product.insertMany([
      { sku: 'D-1', name: 'a', category: 'clearance', price: 1 },
      { sku: 'D-2', name: 'b', category: 'clearance', price: 2 },
      { sku: 'D-3', name: 'c', category: 'kept', price: 3 },
    ]);

    const result = await Product.deleteMany({ category: 'clearance' });

    assert.equal(result.deletedCount, 2);
    assert.equal(await Product.countDocuments({ category: { $in: ['clearance', 'kept'] } }), 1);
  });

  test('when distinct categories are asked for, then each appears once', async () => {
    await Product.insertMany([
      { sku: 'X-1', name: 'a', category: 'dist-lamps', price: 1 },
      { sku: 'X-2', name: 'b', category: 'dist-lamps', price: 2 },
      { sku: 'X-3', name: 'c', category: 'dist-chairs', price: 3 },
    ]);

    const categories = await Product.distinct('category', { category: /^dist-/ });

    assert.deepEqual([...categories].sort(), ['dist-chairs', 'dist-lamps']);
  });
});
