import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoServerError } from 'mongodb';
import type { Document } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Geo queries, indexes and the $geoNear stage as mongod 7 answers them. With MONGODB_URL set
 * the same assertions run against a real mongod.
 */

type Place = { _id: number } & Document;

const ids = (documents: Document[]): unknown[] => documents.map((document) => document['_id']);

function serverError(code: number, pattern?: RegExp) {
  return (error: unknown): boolean =>
    error instanceof MongoServerError &&
    error.code === code &&
    (pattern === undefined || pattern.test(error.message));
}

const point = (lng: number, lat: number) => ({ type: 'Point', coordinates: [lng, lat] });

// Denver, Colorado Springs, Boulder and Salt Lake City.
const cities: Place[] = [
  { _id: 1, name: 'Denver', loc: point(-104.9903, 39.7392) },
  { _id: 2, name: 'Colorado Springs', loc: point(-104.8214, 38.8339) },
  { _id: 3, name: 'Boulder', loc: point(-105.2705, 40.015) },
  { _id: 4, name: 'Salt Lake City', loc: point(-111.891, 40.7608) },
];

const colorado = {
  type: 'Polygon',
  coordinates: [
    [
      [-109, 41],
      [-102, 41],
      [-102, 37],
      [-109, 37],
      [-109, 41],
    ],
  ],
};

describe('compatibility: geo queries as mongod 7 answers them', () => {
  const compat = useTargetDatabase('compat_geo', async (db) => {
    const places = db.collection<Place>('cities');
    await places.createIndex({ loc: '2dsphere' });
    await places.insertMany(cities);
    const grid = db.collection<Place>('grid');
    await grid.createIndex({ pos: '2d' });
    await grid.insertMany([
      { _id: 1, pos: [0, 0] },
      { _id: 2, pos: [3, 4] },
      { _id: 3, pos: [10, 10] },
      { _id: 4, pos: { x: 1, y: 1 } },
    ]);
  });

  test('when $geoWithin names a GeoJSON polygon, then the points inside match, with or without an index', async () => {
    const unindexed = compat.db.collection<Place>('cities_unindexed');
    await unindexed.insertMany(cities);
    for (const collection of [compat.db.collection<Place>('cities'), unindexed]) {
      const found = await collection
        .find({ loc: { $geoWithin: { $geometry: colorado } } })
        .sort({ _id: 1 })
        .toArray();
      assert.deepEqual(ids(found), [1, 2, 3]);
    }
  });

  test('when $near has a GeoJSON point, then documents come nearest first within $maxDistance meters', async () => {
    const found = await compat.db
      .collection<Place>('cities')
      .find({ loc: { $near: { $geometry: point(-104.8719, 38.8784), $maxDistance: 150000 } } })
      .toArray();

    assert.deepEqual(ids(found), [2, 1, 3]);
  });

  test('when $nearSphere has $minDistance, then documents closer than it are left out', async () => {
    const found = await compat.db
      .collection<Place>('cities')
      .find({
        loc: { $nearSphere: { $geometry: point(-104.9903, 39.7392), $minDistance: 1000 } },
      })
      .toArray();

    assert.deepEqual(ids(found), [3, 2, 4]);
  });

  test('when $near runs on a field without a geo index, then mongod refuses with 291', async () => {
    const unindexed = compat.db.collection<Place>('cities_unindexed');
    await assert.rejects(
      unindexed.find({ loc: { $near: { $geometry: point(0, 0) } } }).toArray(),
      serverError(291, /unable to find index for \$geoNear query/),
    );
  });

  test('when legacy pairs have a 2d index, then $near measures flat distance and $nearSphere radians', async () => {
    const grid = compat.db.collection<Place>('grid');
    const flat = await grid.find({ pos: { $near: [0, 0], $maxDistance: 6 } }).toArray();
    assert.deepEqual(ids(flat), [1, 4, 2]);

    const spherical = await grid
      .find({ pos: { $nearSphere: [0, 0], $maxDistance: 0.1 } })
      .toArray();
    assert.deepEqual(ids(spherical), [1, 4, 2]);
  });

  test('when $geoWithin uses $box, $center, $centerSphere or $polygon, then legacy pairs inside match', async () => {
    const grid = compat.db.collection<Place>('grid');
    const within = async (shape: Document) =>
      ids(
        await grid
          .find({ pos: { $geoWithin: shape } })
          .sort({ _id: 1 })
          .toArray(),
      );

    // Shapes keep clear of the points, since mongod's boundary rules differ between shapes.
    assert.deepEqual(
      await within({
        $box: [
          [-1, -1],
          [5, 5],
        ],
      }),
      [1, 2, 4],
    );
    assert.deepEqual(await within({ $center: [[0, 0], 5.5] }), [1, 2, 4]);
    assert.deepEqual(await within({ $centerSphere: [[0, 0], 0.05] }), [1, 4]);
    assert.deepEqual(
      await within({
        $polygon: [
          [2, 2],
          [6, 2],
          [6, 6],
          [2, 6],
        ],
      }),
      [2],
    );
  });

  test('when $geoIntersects gets a line across the antimeridian, then the line it crosses matches', async () => {
    const lines = compat.db.collection<Place>('lines');
    await lines.createIndex({ path: '2dsphere' });
    await lines.insertMany([
      {
        _id: 1,
        path: {
          type: 'LineString',
          coordinates: [
            [-178, 10],
            [178, 10],
          ],
        },
      },
      {
        _id: 2,
        path: {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [1, 1],
          ],
        },
      },
    ]);

    const found = await lines
      .find({
        path: {
          $geoIntersects: {
            $geometry: {
              type: 'LineString',
              coordinates: [
                [180, 11],
                [180, 9],
              ],
            },
          },
        },
      })
      .toArray();

    assert.deepEqual(ids(found), [1]);
  });

  test('when a document holds a point a 2dsphere index cannot take, then the write fails with 16755', async () => {
    const places = compat.db.collection<Place>('cities');
    await assert.rejects(
      places.insertOne({ _id: 10, loc: point(200, 0) }),
      serverError(16755, /Can't extract geo keys/),
    );
    await assert.rejects(
      places.insertOne({ _id: 11, loc: 'nowhere' }),
      serverError(16755, /Can't extract geo keys/),
    );
    // A document without the field is simply not indexed.
    await places.insertOne({ _id: 12, name: 'no location' });
    await places.deleteOne({ _id: 12 });
  });

  test('when $geoNear opens a pipeline, then it adds the distance in meters and honours query and maxDistance', async () => {
    const results = await compat.db
      .collection<Place>('cities')
      .aggregate([
        {
          $geoNear: {
            near: point(-104.9903, 39.7392),
            distanceField: 'dist.meters',
            spherical: true,
            maxDistance: 200000,
            query: { name: { $ne: 'Boulder' } },
          },
        },
        { $project: { _id: 1, dist: 1 } },
      ])
      .toArray();

    assert.deepEqual(ids(results), [1, 2]);
    const [denver, springs] = results as [Document, Document];
    assert.equal(denver['dist'].meters, 0);
    // About 101 km from Denver to Colorado Springs.
    assert.ok(Math.abs(springs['dist'].meters - 101500) < 1500, String(springs['dist'].meters));
  });

  test('when $geoNear has no geo index to use, or is not the first stage, then mongod refuses it', async () => {
    await assert.rejects(
      compat.db
        .collection('cities_unindexed')
        .aggregate([{ $geoNear: { near: point(0, 0), distanceField: 'd' } }])
        .toArray(),
      serverError(27, /\$geoNear requires a 2d or 2dsphere index/),
    );
    await assert.rejects(
      compat.db
        .collection('cities')
        .aggregate([{ $match: {} }, { $geoNear: { near: point(0, 0), distanceField: 'd' } }])
        .toArray(),
      serverError(40603),
    );
  });

  test('when $near is counted, then mongod says it is not allowed in that context', async () => {
    await assert.rejects(
      compat.db.collection('cities').countDocuments({ loc: { $near: { $geometry: point(0, 0) } } }),
      (error: unknown) =>
        error instanceof MongoServerError &&
        /\$geoNear, \$near, and \$nearSphere are not allowed in this context/.test(error.message),
    );
  });
});
