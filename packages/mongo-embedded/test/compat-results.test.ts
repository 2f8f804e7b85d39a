import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DBRef, Decimal128, Double, Int32, Long, MongoServerError, ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Queries whose answer used to differ silently from mongod 7's. Each assertion is mongod's
 * answer; with MONGODB_URL set they run against a real mongod and must hold there too.
 */

const ids = (documents: Document[]): unknown[] => documents.map((document) => document['_id']);

/** Documents with any _id: these tests use small integers to keep expectations readable. */
type Loose = { _id: number | null } & Document;

describe('compatibility: results mongod 7 gives', () => {
  const compat = useTargetDatabase('compat_results');

  test('when $all is asked of a scalar field, then a field equal to the one value matches', async () => {
    const items = compat.db.collection<Loose>('all_scalar');
    await items.insertMany([
      { _id: 1, tag: 'red' },
      { _id: 2, tag: ['red', 'blue'] },
      { _id: 3, tag: 'blue' },
    ]);

    const found = await items
      .find({ tag: { $all: ['red'] } })
      .sort({ _id: 1 })
      .toArray();

    assert.deepEqual(ids(found), [1, 2]);
  });

  test('when a Double 1.0 and a Long are stored, then they come back as Double and Long', async () => {
    const numbers = compat.db.collection<Loose>('number_types');
    await numbers.insertOne({ _id: 1, ratio: new Double(1), big: Long.fromNumber(5), small: 3 });

    const raw = await numbers.findOne({ _id: 1 }, { promoteValues: false });

    assert.ok(raw);
    assert.ok(raw['ratio'] instanceof Double);
    assert.ok(raw['big'] instanceof Long);
    assert.ok(raw['small'] instanceof Int32);
  });

  test('when numbers are queried by $type, then int, long, double and the aliases are told apart', async () => {
    const numbers = compat.db.collection<Loose>('type_query');
    await numbers.insertMany([
      { _id: 1, n: new Double(1) },
      { _id: 2, n: 2 },
      { _id: 3, n: Long.fromNumber(3) },
      { _id: 4, n: 'four' },
      { _id: 5, n: Decimal128.fromString('5') },
    ]);
    const byType = async (type: unknown) =>
      ids(
        await numbers
          .find({ n: { $type: type as 'int' } })
          .sort({ _id: 1 })
          .toArray(),
      );

    assert.deepEqual(await byType('double'), [1]);
    assert.deepEqual(await byType('int'), [2]);
    assert.deepEqual(await byType(16), [2]);
    assert.deepEqual(await byType('long'), [3]);
    assert.deepEqual(await byType('decimal'), [5]);
    assert.deepEqual(await byType('number'), [1, 2, 3, 5]);
    assert.deepEqual(await byType(['string', 'long']), [3, 4]);
    await assert.rejects(
      numbers.find({ n: { $type: 'integer' } }).toArray(),
      (error: unknown) => error instanceof MongoServerError && error.code === 2,
    );
  });

  test('when an update increments a Double or a Long, then the result keeps its BSON type', async () => {
    const numbers = compat.db.collection<Loose>('inc_types');
    await numbers.insertOne({ _id: 1, d: new Double(1), l: Long.fromNumber(1), i: 2147483647 });

    await numbers.updateOne({ _id: 1 }, { $inc: { d: 1, l: 1, i: 1 } });
    const raw = await numbers.findOne({ _id: 1 }, { promoteValues: false });

    assert.ok(raw);
    assert.ok(raw['d'] instanceof Double);
    assert.equal(raw['d'].valueOf(), 2);
    assert.ok(raw['l'] instanceof Long);
    assert.equal(raw['l'].toNumber(), 2);
    // An int32 that overflows becomes a long, as in mongod.
    assert.ok(raw['i'] instanceof Long);
    assert.equal(raw['i'].toNumber(), 2147483648);
  });

  test('when Decimal128 values are compared and sorted, then they order by numeric value', async () => {
    const prices = compat.db.collection<Loose>('decimals');
    await prices.insertMany([
      { _id: 1, price: Decimal128.fromString('10.00') },
      { _id: 2, price: Decimal128.fromString('9.50') },
      { _id: 3, price: 9.75 },
    ]);

    const above = await prices.find({ price: { $gt: Decimal128.fromString('9.6') } }).toArray();
    const sorted = await prices.find().sort({ price: 1 }).toArray();

    assert.deepEqual(ids(above).sort(), [1, 3]);
    assert.deepEqual(ids(sorted), [2, 3, 1]);
  });

  test('when a DBRef field is queried by $id or as a whole, then the referring document matches', async () => {
    const posts = compat.db.collection<Loose>('dbrefs');
    const author = new ObjectId();
    await posts.insertMany([
      { _id: 1, author: new DBRef('users', author) },
      { _id: 2, author: new DBRef('users', new ObjectId()) },
    ]);

    const byId = await posts.find({ 'author.$id': author }).toArray();
    const whole = await posts.find({ author: new DBRef('users', author) }).toArray();

    assert.deepEqual(ids(byId), [1]);
    assert.deepEqual(ids(whole), [1]);
  });

  test('when an array field is sorted, then ascending uses its smallest and descending its largest element', async () => {
    const scores = compat.db.collection<Loose>('array_sort');
    await scores.insertMany([
      { _id: 1, s: [3, 1, 9] },
      { _id: 2, s: [5] },
      { _id: 3, s: 4 },
    ]);

    const ascending = await scores.find().sort({ s: 1 }).toArray();
    const descending = await scores.find().sort({ s: -1 }).toArray();

    assert.deepEqual(ids(ascending), [1, 3, 2]);
    assert.deepEqual(ids(descending), [1, 2, 3]);
  });

  test('when $lookup joins another collection, by fields or by pipeline, then the matches are attached', async () => {
    await compat.db.collection<Loose>('lookup_orders').insertMany([
      { _id: 1, productId: 10 },
      { _id: 2, productId: 10 },
      { _id: 3, productId: 11 },
    ]);
    const products = compat.db.collection<Loose>('lookup_products');
    await products.insertMany([{ _id: 10 }, { _id: 12 }]);

    const byFields = await products
      .aggregate([
        {
          $lookup: {
            from: 'lookup_orders',
            localField: '_id',
            foreignField: 'productId',
            as: 'orders',
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    const byPipeline = await products
      .aggregate([
        {
          $lookup: {
            from: 'lookup_orders',
            let: { id: '$_id' },
            pipeline: [{ $match: { $expr: { $eq: ['$productId', '$$id'] } } }, { $count: 'n' }],
            as: 'orders',
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();

    assert.deepEqual(
      byFields.map((product) => ids(product['orders'] as Document[])),
      [[1, 2], []],
    );
    assert.deepEqual(
      byPipeline.map((product) => product['orders']),
      [[{ n: 2 }], []],
    );
  });

  test('when a projection holds only $slice, then every other field is still returned', async () => {
    const posts = compat.db.collection<Loose>('slice_projection');
    await posts.insertOne({ _id: 1, title: 'a', comments: [1, 2, 3], meta: { x: 1 } });

    const sliced = await posts.findOne({ _id: 1 }, { projection: { comments: { $slice: 1 } } });

    assert.deepEqual(sliced, { _id: 1, title: 'a', comments: [1], meta: { x: 1 } });
  });

  test('when a nested projection names a missing or scalar parent, then no value is invented', async () => {
    const items = compat.db.collection<Loose>('nested_projection');
    await items.insertOne({ _id: 1, a: 5, sub: { x: 1 } });

    const projected = await items.findOne(
      { _id: 1 },
      { projection: { 'missing.x': 1, 'a.b': 1, 'sub.x': 1 } },
    );

    assert.deepEqual(projected, { _id: 1, sub: { x: 1 } });
  });

  test('when $pull is given an $or of subdocument conditions, then the matching subdocuments are removed', async () => {
    const carts = compat.db.collection('pull_or');
    await carts.insertOne({
      _id: new ObjectId('000000000000000000000001'),
      lines: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
        { sku: 'c', qty: 3 },
      ],
    });

    // mongoose's array.pull() sends this shape for subdocuments without _id; the driver's
    // types do not know it, so it goes as a plain update command.
    await compat.db.command({
      update: 'pull_or',
      updates: [{ q: {}, u: { $pull: { lines: { $or: [{ sku: 'a', qty: 1 }, { sku: 'c' }] } } } }],
    });

    assert.deepEqual((await carts.findOne())?.['lines'], [{ sku: 'b', qty: 2 }]);
  });

  test('when a document is inserted with _id: null, then it is stored under null', async () => {
    const items = compat.db.collection<Loose>('null_id');

    // The driver's insertOne replaces a null _id itself; the server is asked directly.
    await compat.db.command({ insert: 'null_id', documents: [{ _id: null, name: 'x' }] });

    assert.deepEqual(await items.find().toArray(), [{ _id: null, name: 'x' }]);
  });
});
