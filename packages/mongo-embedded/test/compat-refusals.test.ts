import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import type { Document, UpdateFilter } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Writes and definitions mongod 7 refuses (or, for the upserts, accepts where this server
 * used to crash), with mongod's error codes. The same assertions run against a real mongod
 * when MONGODB_URL is set.
 */

type Loose = { _id: number; list?: number | number[] } & Document;

function serverError(code: number, pattern?: RegExp) {
  return (error: unknown): boolean =>
    error instanceof MongoServerError &&
    error.code === code &&
    (pattern === undefined || pattern.test(error.message));
}

describe('compatibility: what mongod 7 refuses, and the crashes that are gone', () => {
  const compat = useTargetDatabase('compat_refusals');

  test('when upserts $inc, $set, $pullAll and $pull fields that do not exist, then each inserts as mongod does', async () => {
    const counters = compat.db.collection('upserts');
    const upsert = (q: Document, u: Document) =>
      compat.db.command({ update: 'upserts', updates: [{ q, u, upsert: true }] });

    const replies = [
      await upsert({ _id: 1 }, { $inc: { 'stats.views': 1 } }),
      await upsert({ _id: 2 }, { $set: { 'a.b': 1 } }),
      await upsert({ _id: 3 }, { $pullAll: { tags: ['x'] } }),
      await upsert({ _id: 4 }, { $pull: { tags: 'x' } }),
      await upsert({ _id: 1 }, { $pullAll: { missing: [1] } }),
    ];

    assert.deepEqual(
      replies.map((reply) => [reply['ok'], reply['n'], reply['writeErrors']]),
      [
        [1, 1, undefined],
        [1, 1, undefined],
        [1, 1, undefined],
        [1, 1, undefined],
        [1, 1, undefined],
      ],
    );
    assert.deepEqual(await counters.find().sort({ _id: 1 }).toArray(), [
      { _id: 1, stats: { views: 1 } },
      { _id: 2, a: { b: 1 } },
      { _id: 3 },
      { _id: 4 },
    ]);
  });

  test('when one statement of an unordered bulkWrite $pushes onto a non-array, then only that statement fails', async () => {
    const items = compat.db.collection<Loose>('bulk_push');
    await items.insertMany([
      { _id: 1, list: 5 },
      { _id: 2, list: [] },
    ]);

    // The driver's types refuse $push on a field typed as number, which is the point here.
    const push = { $push: { list: 1 } } as unknown as UpdateFilter<Loose>;
    const failure = await items
      .bulkWrite(
        [
          { updateOne: { filter: { _id: 1 }, update: push } },
          { updateOne: { filter: { _id: 2 }, update: push } },
        ],
        { ordered: false },
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    assert.ok(failure instanceof MongoBulkWriteError);
    const writeErrors = [failure.writeErrors].flat();
    assert.deepEqual(
      writeErrors.map((error) => [error.index, error.code]),
      [[0, 2]],
    );
    assert.deepEqual(await items.find().sort({ _id: 1 }).toArray(), [
      { _id: 1, list: 5 },
      { _id: 2, list: [1] },
    ]);
  });

  test('when a document over 16 MiB is inserted, or an update grows one past it, then both are refused', async () => {
    const blobs = compat.db.collection<Loose>('too_large');
    const eightMiB = 'x'.repeat(8 * 1024 * 1024 + 1);
    await blobs.insertOne({ _id: 2, a: eightMiB });

    await assert.rejects(blobs.insertOne({ _id: 1, a: eightMiB, b: eightMiB }), serverError(10334));
    const grown = await compat.db.command({
      update: 'too_large',
      updates: [{ q: { _id: 2 }, u: { $set: { b: eightMiB } } }],
    });

    assert.equal(grown['writeErrors']?.[0]?.code, 17419);
    assert.equal(await blobs.countDocuments(), 1);
  });

  test('when one update sets and increments the same path, or a path and its parent, then it is refused with 40', async () => {
    const items = compat.db.collection<Loose>('conflicts');
    await items.insertOne({ _id: 1, a: 1, x: { y: 1 } });

    await assert.rejects(
      items.updateOne({ _id: 1 }, { $set: { a: 2 }, $inc: { a: 1 } }),
      serverError(40, /conflict/),
    );
    await assert.rejects(
      items.updateOne({ _id: 1 }, { $set: { 'x.y': 2, x: 3 } }),
      serverError(40, /conflict/),
    );
    assert.deepEqual(await items.findOne({ _id: 1 }), { _id: 1, a: 1, x: { y: 1 } });
  });

  test('when an update of a stored document creates a top-level $-prefixed field, then it is refused; inserts may have one', async () => {
    const items = compat.db.collection<Loose>('dollar_fields');
    await compat.db.command({ insert: 'dollar_fields', documents: [{ _id: 1, $price: 5 }] });

    await assert.rejects(items.updateOne({ _id: 1 }, { $set: { $hotel: 1 } }), serverError(52));
    assert.deepEqual(await items.findOne({ _id: 1 }), { _id: 1, $price: 5 });
  });

  test('when an update statement carries sort (a MongoDB 8.0 option), then mongod 7 refuses it as an unknown field', async () => {
    await compat.db.collection<Loose>('update_sort').insertOne({ _id: 1 });

    const reply = compat.db.command({
      update: 'update_sort',
      updates: [{ q: {}, u: { $set: { z: 1 } }, sort: { _id: -1 } }],
    });

    await assert.rejects(reply, serverError(40415, /sort/));
  });

  test('when index definitions mongod refuses are created, then each is refused and the partial unique sku index is not', async () => {
    const products = compat.db.collection<Loose>('index_rules');
    const refused = async (key: Document, options: Document, code: number) =>
      assert.rejects(
        compat.db.command({
          createIndexes: 'index_rules',
          indexes: [{ key, name: `i${code}_${Object.keys(key).join('')}`, ...options }],
        }),
        serverError(code),
      );

    await refused({ a: 1 }, { partialFilterExpression: { a: { $ne: 1 } } }, 67);
    await refused({ b: 1 }, { partialFilterExpression: { b: /x/ } }, 67);
    await refused(
      { c: 1 },
      { sparse: true, partialFilterExpression: { c: { $exists: true } } },
      67,
    );
    await refused({ d: 'nonsense' }, {}, 67);
    await refused({ e: 1 }, { colour: 'blue' }, 197);
    const name = await products.createIndex(
      { sku: 1 },
      { unique: true, name: 'sku_live_unique', partialFilterExpression: { deleted: false } },
    );
    await products.insertMany([
      { _id: 1, sku: 'L-1', deleted: true },
      { _id: 2, sku: 'L-1', deleted: false },
    ]);

    assert.equal(name, 'sku_live_unique');
    await assert.rejects(
      products.insertOne({ _id: 3, sku: 'L-1', deleted: false }),
      serverError(11000),
    );
  });

  test('when $inc meets a non-number, then the error is 14 TypeMismatch', async () => {
    const items = compat.db.collection<Loose>('inc_types');
    await items.insertOne({ _id: 1, name: 'lamp' });

    await assert.rejects(
      items.updateOne({ _id: 1 }, { $inc: { name: 1 } }),
      serverError(14, /non-numeric/),
    );
  });

  test('when $text is used without a text index, in find or a $match, then the error is 27 IndexNotFound', async () => {
    const items = compat.db.collection<Loose>('no_text_index');
    await items.insertOne({ _id: 1, name: 'lamp' });

    await assert.rejects(
      items.find({ $text: { $search: 'lamp' } }).toArray(),
      serverError(27, /text index required/),
    );
    await assert.rejects(
      items.aggregate([{ $match: { $text: { $search: 'lamp' } } }]).toArray(),
      serverError(27, /text index required/),
    );
  });

  test('when a change stream is opened on this standalone, then the error is 40573', async (t) => {
    const hello = await compat.db.admin().command({ hello: 1 });
    if (hello['setName'] !== undefined || hello['msg'] === 'isdbgrid') {
      t.skip('change streams are allowed on a replica set or mongos');
      return;
    }
    const stream = compat.db.collection('streams').watch();

    await assert.rejects(stream.tryNext(), serverError(40573));
    await stream.close();
  });
});
