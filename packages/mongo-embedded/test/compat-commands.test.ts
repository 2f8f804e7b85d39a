import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MongoServerError } from 'mongodb';
import type { Db, MongoClient } from 'mongodb';
import { openTarget } from './support/target';
import type { MongoTarget } from './support/target';

/*
 * Commands drivers, mongoose and tools send that this server used to answer with 59
 * CommandNotFound. The assertions hold for mongod 7 too (run with MONGODB_URL set).
 */

describe('compatibility: status, explain and catalog commands', () => {
  let target: MongoTarget;
  let client: MongoClient;
  let db: Db;

  before(async () => {
    target = await openTarget('compat_commands');
    client = await target.connect();
    db = client.db(target.databaseName);
    await db.collection('items').insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  after(async () => {
    await target.close();
  });

  test('when serverStatus is asked, then it reports the version, uptime and connections', async () => {
    const status = await db.admin().serverStatus();

    assert.match(String(status['version']), /^\d+\.\d+/);
    assert.ok(Number(status['version'].split('.')[0]) >= 7);
    assert.equal(typeof status['uptime'], 'number');
    assert.ok(status['connections']['current'] >= 1);
  });

  test('when dbStats and collStats are asked, then counts match the data', async () => {
    const dbStats = await db.stats();
    const collStats = await db.command({ collStats: 'items' });

    assert.equal(dbStats['db'], target.databaseName);
    assert.ok(dbStats['objects'] >= 3);
    assert.ok(dbStats['collections'] >= 1);
    assert.equal(collStats['count'], 3);
    assert.ok(collStats['size'] > 0);
    assert.equal(collStats['nindexes'], 1);
  });

  test('when a find and an aggregate are explained, then a plan comes back and the data is untouched', async () => {
    const explained = await db
      .collection('items')
      .find({ n: { $gt: 1 } })
      .explain('executionStats');
    const aggregate = await db
      .collection('items')
      .aggregate([{ $match: { n: 2 } }])
      .explain('queryPlanner');
    const deleteExplained = await db.command({
      explain: { delete: 'items', deletes: [{ q: {}, limit: 0 }] },
      verbosity: 'queryPlanner',
    });

    assert.ok(explained['queryPlanner']);
    assert.equal(explained['executionStats']['nReturned'], 2);
    assert.ok(aggregate['queryPlanner'] ?? aggregate['stages']);
    assert.ok(deleteExplained['queryPlanner']);
    assert.equal(await db.collection('items').countDocuments(), 3);
  });

  test('when a collection is renamed, then its documents and indexes move and a clash is refused', async () => {
    const source = db.collection('rename_from');
    await source.insertOne({ sku: 'a' });
    await source.createIndex({ sku: 1 }, { unique: true });
    await db.collection('rename_clash').insertOne({ x: 1 });

    await source.rename('rename_to');
    await assert.rejects(
      db.collection('rename_to').rename('rename_clash'),
      (error: unknown) => error instanceof MongoServerError && error.code === 48,
    );
    await assert.rejects(
      db.collection('rename_missing').rename('anything'),
      (error: unknown) => error instanceof MongoServerError && error.code === 26,
    );

    const moved = db.collection('rename_to');
    assert.deepEqual(await moved.find({}, { projection: { _id: 0 } }).toArray(), [{ sku: 'a' }]);
    assert.ok((await moved.indexes()).some((index) => index.name === 'sku_1'));
    assert.equal(await db.collection('rename_from').countDocuments(), 0);
  });

  test('when collMod hides an index and changes a TTL, then listIndexes shows it', async () => {
    const sessions = db.collection('collmod');
    await sessions.createIndex({ at: 1 }, { expireAfterSeconds: 60 });
    await sessions.createIndex({ user: 1 });

    const hidden = await db.command({
      collMod: 'collmod',
      index: { name: 'user_1', hidden: true },
    });
    const ttl = await db.command({
      collMod: 'collmod',
      index: { keyPattern: { at: 1 }, expireAfterSeconds: 120 },
    });
    const indexes = await sessions.indexes();

    assert.deepEqual([hidden['hidden_old'], hidden['hidden_new']], [false, true]);
    assert.deepEqual([ttl['expireAfterSeconds_old'], ttl['expireAfterSeconds_new']], [60, 120]);
    assert.equal(indexes.find((index) => index.name === 'user_1')?.hidden, true);
    assert.equal(indexes.find((index) => index.name === 'at_1')?.expireAfterSeconds, 120);
  });
});
