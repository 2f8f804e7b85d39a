import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoServerError } from 'mongodb';
import type { Document } from 'mongodb';
import { useTargetDatabase } from './support/target';

/*
 * Capped collections as mongod 7 keeps them: the newest documents within the limits, in
 * insertion order. With MONGODB_URL set the same assertions run against a real mongod.
 */

type Loose = { _id: number } & Document;

describe('compatibility: capped collections as mongod 7 keeps them', () => {
  const compat = useTargetDatabase('compat_capped');

  test('when a capped collection passes its max, then the oldest documents go', async () => {
    await compat.db.createCollection('log', { capped: true, size: 4096, max: 3 });
    const log = compat.db.collection<Loose>('log');
    for (let i = 1; i <= 5; i++) await log.insertOne({ _id: i, line: `line ${i}` });

    assert.deepEqual(
      (await log.find().toArray()).map((document) => document._id),
      [3, 4, 5],
    );
    assert.equal(await log.isCapped(), true);
  });

  test('when documents pass the size in bytes, then the oldest go until the rest fit', async () => {
    await compat.db.createCollection('sized', { capped: true, size: 4096 });
    const sized = compat.db.collection<Loose>('sized');
    const filler = 'x'.repeat(1000);
    for (let i = 1; i <= 6; i++) await sized.insertOne({ _id: i, filler });

    const kept = (await sized.find().toArray()).map((document) => document._id);
    // Each document is a little over 1000 bytes: four of them no longer fit in 4096.
    assert.deepEqual(kept, [4, 5, 6]);
  });

  test('when capped is asked for without a size, then mongod refuses it', async () => {
    await assert.rejects(
      compat.db.command({ create: 'no_size', capped: true }),
      (error: unknown) => error instanceof MongoServerError && error.code === 72,
    );
    // A number is refused too, as a size-less capped (72) or for its type (14).
    await assert.rejects(
      compat.db.command({ create: 'no_size', capped: 1024 }),
      (error: unknown) =>
        error instanceof MongoServerError && [14, 72].includes(error.code as number),
    );
  });
});
