import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Double, Int32, ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Filters on _id read only the documents they name (the stand-in's version of mongod's _id
 * index); the answers must be the ones a scan of every document gives. With MONGODB_URL set the
 * same assertions run against a real mongod.
 */

type Loose = { _id: ObjectId | string | number | Int32 } & Document;

const ids = (documents: Document[]): unknown[] => documents.map((document) => document['_id']);

describe('compatibility: lookups by _id', () => {
  const [first, second, third] = [new ObjectId(), new ObjectId(), new ObjectId()];
  const compat = useTargetDatabase('compat_id_lookup', async (db) => {
    await db.collection<Loose>('products').insertMany([
      { _id: first, price: 30, live: true },
      { _id: second, price: 10, live: false },
      { _id: third, price: 20, live: true },
    ]);
  });

  test('when $in names ids, then the rest of the filter, the sort, the count and the projection still apply', async () => {
    const products = compat.db.collection<Loose>('products');
    const filter = { _id: { $in: [third, second, first, new ObjectId()] }, live: true };

    const found = await products
      .find(filter, { projection: { price: 1 } })
      .sort({ price: 1 })
      .toArray();

    assert.deepEqual(found, [
      { _id: third, price: 20 },
      { _id: first, price: 30 },
    ]);
    assert.equal(await products.countDocuments(filter), 2);
    assert.deepEqual((await products.distinct('price', filter)).sort(), [20, 30]);
  });

  test('when $eq or a plain value names an id, then exactly that document matches, for reads, updates and deletes', async () => {
    const items = compat.db.collection<Loose>('by_id_writes');
    await items.insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
    ]);

    assert.deepEqual(ids(await items.find({ _id: { $eq: 'b' } }).toArray()), ['b']);
    await items.updateOne({ _id: 'a' }, { $inc: { n: 10 } });
    await items.findOneAndUpdate({ _id: { $in: ['b'] } }, { $set: { seen: true } });
    await items.deleteOne({ _id: 'missing' });
    const [matched] = await items.aggregate([{ $match: { _id: 'a' } }]).toArray();

    assert.deepEqual(await items.find().sort({ _id: 1 }).toArray(), [
      { _id: 'a', n: 11 },
      { _id: 'b', n: 2, seen: true },
    ]);
    assert.deepEqual(matched, { _id: 'a', n: 11 });
  });

  test('when a number of another BSON type or a case-blind collation names an _id, then it still finds the document', async () => {
    const items = compat.db.collection<Loose>('by_id_equality');
    await items.insertMany([{ _id: new Int32(1) }, { _id: 'Abc' }]);

    assert.deepEqual(ids(await items.find({ _id: new Double(1) }).toArray()), [1]);
    assert.deepEqual(
      ids(await items.find({ _id: 'abc' }, { collation: { locale: 'en', strength: 2 } }).toArray()),
      ['Abc'],
    );
  });

  test('when $in names ids, some twice, without a sort, then each document comes once', async () => {
    const items = compat.db.collection<Loose>('by_id_order');
    await items.insertMany([{ _id: 'c' }, { _id: 'a' }, { _id: 2 }]);
    await items.updateOne({ _id: 'c' }, { $set: { touched: true } });

    // mongod answers in _id index order and the stand-in in natural order; neither promises one.
    const found = ids(await items.find({ _id: { $in: [2, 'c', 'a', 'c'] } }).toArray());

    assert.deepEqual(found.map(String).sort(), ['2', 'a', 'c']);
  });
});
