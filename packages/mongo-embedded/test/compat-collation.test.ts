import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoServerError } from 'mongodb';
import type { CollationOptions, Document } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Collations as mongod 7 applies them: to a command's matches and sorts, as a collection's
 * default, and to unique indexes. With MONGODB_URL set the same assertions run against it.
 */

type Loose = { _id: number } & Document;

const ids = (documents: Document[]): unknown[] => documents.map((document) => document['_id']);

const CASE_INSENSITIVE = { locale: 'en', strength: 2 };

describe('compatibility: collations as mongod 7 applies them', () => {
  const compat = useTargetDatabase('compat_collation', async (db) => {
    await db.collection<Loose>('names').insertMany([
      { _id: 1, name: 'abc' },
      { _id: 2, name: 'ABC' },
      { _id: 3, name: 'ábc' },
      { _id: 4, name: 'b' },
    ]);
  });

  test('when a find has strength 2, then case is ignored and accents are not; strength 1 ignores both', async () => {
    const names = compat.db.collection<Loose>('names');
    const matching = async (collation: CollationOptions) =>
      ids(await names.find({ name: 'abc' }, { collation }).sort({ _id: 1 }).toArray());

    assert.deepEqual(await matching(CASE_INSENSITIVE), [1, 2]);
    assert.deepEqual(await matching({ locale: 'en_US', strength: 1 }), [1, 2, 3]);
    assert.deepEqual(await matching({ locale: 'simple' }), [1]);
  });

  test('when a sort has a collation, then strings sort in the locale order instead of by code point', async () => {
    const names = compat.db.collection<Loose>('names');
    const binary = await names.find().sort({ name: 1, _id: 1 }).toArray();
    const english = await names
      .find({}, { collation: { locale: 'en' } })
      .sort({ name: 1, _id: 1 })
      .toArray();
    const aggregated = await names
      .aggregate([{ $sort: { name: 1, _id: 1 } }], { collation: { locale: 'en' } })
      .toArray();

    assert.deepEqual(ids(binary), [2, 1, 4, 3]);
    assert.deepEqual(ids(english), [1, 2, 3, 4]);
    assert.deepEqual(ids(aggregated), [1, 2, 3, 4]);
  });

  test('when a collection has a default collation, then queries and new indexes use it', async () => {
    await compat.db.createCollection('users', { collation: CASE_INSENSITIVE });
    const users = compat.db.collection<Loose>('users');
    await users.createIndex({ username: 1 }, { unique: true });
    await users.insertOne({ _id: 1, username: 'Alice' });

    const [index] = (await users.listIndexes().toArray()).filter((i) => i['name'] === 'username_1');
    assert.equal(index?.['collation']?.locale, 'en');
    assert.equal(index?.['collation']?.strength, 2);
    assert.deepEqual(ids(await users.find({ username: 'alice' }).toArray()), [1]);
    await assert.rejects(
      users.insertOne({ _id: 2, username: 'ALICE' }),
      (error: unknown) => error instanceof MongoServerError && error.code === 11000,
    );
  });

  test('when an update or delete statement has a collation, then its filter matches by it', async () => {
    const tags = compat.db.collection<Loose>('tags');
    await tags.insertMany([
      { _id: 1, tag: 'Red' },
      { _id: 2, tag: 'red' },
      { _id: 3, tag: 'blue' },
    ]);

    const updated = await tags.updateMany(
      { tag: 'RED' },
      { $set: { warm: true } },
      { collation: CASE_INSENSITIVE },
    );
    const deleted = await tags.deleteMany({ tag: 'BLUE' }, { collation: CASE_INSENSITIVE });

    assert.equal(updated.modifiedCount, 2);
    assert.equal(deleted.deletedCount, 1);
  });

  test('when a collation names an unknown locale, then mongod refuses it', async () => {
    await assert.rejects(
      compat.db
        .collection('names')
        .find({}, { collation: { locale: 'xx_NOPE' } })
        .toArray(),
      (error: unknown) => error instanceof MongoServerError && error.code === 2,
    );
  });
});
