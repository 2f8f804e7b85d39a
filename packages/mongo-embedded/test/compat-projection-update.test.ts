import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Binary, DBRef, MongoServerError, ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Projections, updates and hints whose answer differed from mongod 7's (found by mongoose's
 * own suite). Each assertion is mongod's answer; with MONGODB_URL set they run against it.
 */

type Loose = { _id: number } & Document;

describe('compatibility: projections, updates and hints as mongod 7 answers them', () => {
  const compat = useTargetDatabase('compat_projection_update');

  test('when a nested projection names fields of a missing subdocument, then nothing is invented', async () => {
    const parents = compat.db.collection<Loose>('nested_projection');
    await parents.insertOne({ _id: 1, name: 'parent' });

    const nested = await parents.findOne(
      { _id: 1 },
      { projection: { name: 1, child: { name: 1, grandChild: { name: 1 } } } },
    );
    const dotted = await parents.findOne(
      { _id: 1 },
      { projection: { name: 1, 'child.name': 1, 'child.grandChild.name': 1 } },
    );

    assert.deepEqual(nested, { _id: 1, name: 'parent' });
    assert.deepEqual(dotted, { _id: 1, name: 'parent' });
  });

  test('when a projection uses the positional $, then the array holds only the element the query matched', async () => {
    const posts = compat.db.collection<Loose>('positional_projection');
    await posts.insertOne({
      _id: 1,
      title: 't',
      tags: [
        { tag: 'bacon', count: 2 },
        { tag: 'eggs', count: 3 },
      ],
    });

    const byField = await posts.findOne({ 'tags.tag': 'eggs' }, { projection: { 'tags.$': 1 } });
    const byElemMatch = await posts.findOne(
      { tags: { $elemMatch: { count: { $gt: 2 } } } },
      { projection: { title: 1, 'tags.$': 1 } },
    );

    assert.deepEqual(byField, { _id: 1, tags: [{ tag: 'eggs', count: 3 }] });
    assert.deepEqual(byElemMatch, { _id: 1, title: 't', tags: [{ tag: 'eggs', count: 3 }] });
    await assert.rejects(
      posts.findOne({ _id: 1 }, { projection: { 'tags.$': 1 } }),
      (error: unknown) =>
        error instanceof MongoServerError &&
        /positional operator '\.\$' couldn't find a matching element in the array/.test(
          error.message,
        ),
    );
  });

  test('when $unset names a path through a literal $* field that is missing, then it changes nothing beside the $set', async () => {
    const maps = compat.db.collection<Loose>('literal_dollar_path');
    await maps.insertOne({ _id: 1, nested: { data: {} } });

    // mongoose sends this shape for a map of subdocuments without _id.
    await maps.updateOne(
      { _id: 1 },
      { $set: { 'nested.data.second': { data: {} } }, $unset: { 'nested.data.$*._id': 1 } },
    );

    assert.deepEqual(await maps.findOne({ _id: 1 }), {
      _id: 1,
      nested: { data: { second: { data: {} } } },
    });
  });

  test('when $elemMatch names DBRef fields, then they match as the fields they are', async () => {
    const chats = compat.db.collection<Loose>('dbref_elem_match');
    const member = new ObjectId();
    await chats.insertOne({ _id: 1, members: [new DBRef('users', member, 'app')] });

    const found = await chats.countDocuments({ members: { $elemMatch: { $id: member } } });
    const notFound = await chats.countDocuments({
      members: { $elemMatch: { $id: new ObjectId(), $ref: 'users' } },
    });

    assert.equal(found, 1);
    assert.equal(notFound, 0);
  });

  test('when a Binary is $set over one with another subtype, then the new subtype is stored', async () => {
    const buffers = compat.db.collection<Loose>('binary_subtype');
    await buffers.insertOne({ _id: 1, buf: new Binary(Buffer.from('hi'), 128) });

    const result = await buffers.updateOne(
      { _id: 1 },
      { $set: { buf: new Binary(Buffer.from('hi'), 0) } },
    );
    const stored = await buffers.findOne({ _id: 1 });

    assert.equal(result.modifiedCount, 1);
    assert.equal((stored?.['buf'] as Binary).sub_type, 0);
  });

  test('when a find or aggregate is hinted to an index, then without a sort the documents come in index order', async () => {
    const stock = compat.db.collection<Loose>('hinted');
    await stock.createIndex({ qty: -1, name: -1 });
    await stock.insertMany([
      { _id: 1, name: 'Andrew', qty: 4 },
      { _id: 2, name: 'Betty', qty: 5 },
      { _id: 3, name: 'Charlie', qty: 4 },
    ]);
    const names = (documents: Document[]) => documents.map((document) => document['name']);

    const found = await stock.find({}).hint({ qty: -1, name: -1 }).toArray();
    const aggregated = await stock
      .aggregate([{ $match: {} }], { hint: { qty: -1, name: -1 } })
      .toArray();

    assert.deepEqual(names(found), ['Betty', 'Charlie', 'Andrew']);
    assert.deepEqual(names(aggregated), ['Betty', 'Charlie', 'Andrew']);
    await assert.rejects(
      stock.find({}).hint({ missing: 1 }).toArray(),
      (error: unknown) =>
        error instanceof MongoServerError &&
        error.code === 2 &&
        /hint provided does not correspond to an existing index/.test(error.message),
    );
  });

  test('when $set names a field inside an array or a scalar, then mongod refuses with 28 PathNotViable', async () => {
    const posts = compat.db.collection<Loose>('path_not_viable');
    await posts.insertOne({ _id: 1, count: 3, comments: [{ body: 'a' }, { body: 'b' }] });
    const pathNotViable = (error: unknown) =>
      error instanceof MongoServerError &&
      error.code === 28 &&
      /Cannot create field '(body|x)' in element/.test(error.message);

    await assert.rejects(
      posts.updateOne({ _id: 1 }, { $set: { 'comments.body': 'x' } }),
      pathNotViable,
    );
    await assert.rejects(posts.updateOne({ _id: 1 }, { $inc: { 'count.x': 1 } }), pathNotViable);
    await posts.updateOne({ _id: 1 }, { $set: { 'comments.1.body': 'c' } });

    assert.deepEqual(await posts.findOne({ _id: 1 }), {
      _id: 1,
      count: 3,
      comments: [{ body: 'a' }, { body: 'c' }],
    });
  });
});
