import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Double, Int32, ObjectId } from 'bson';
import { withStringOrder } from '../src/query/compare';
import { idsNamedBy } from '../src/query/id-lookup';

describe('idsNamedBy', () => {
  const id = new ObjectId();

  test('when _id is a value, $eq or $in of strings, ObjectIds or safe whole numbers, then those are the ids', () => {
    assert.deepEqual(idsNamedBy({ _id: id, price: { $gt: 1 } }), [id]);
    assert.deepEqual(idsNamedBy({ _id: { $eq: 'a' } }), ['a']);
    assert.deepEqual(idsNamedBy({ _id: { $in: ['a', 2] } }), ['a', 2]);
    assert.deepEqual(idsNamedBy({ _id: 1 }), [1]);
  });

  test('when _id may match documents other than by its key, then every document is a candidate', () => {
    for (const filter of [
      {},
      { price: 1 },
      { _id: { $gt: 'a' } },
      { _id: { $in: ['a'], $ne: 'b' } },
      { _id: { $in: [/a/] } },
      { _id: /a/ },
      { _id: new Double(1) },
      { _id: new Int32(1) },
      { _id: -0 },
      { _id: 1.5 },
      { _id: 2 ** 60 },
      { _id: { nested: 1 } },
      { _id: { $in: 'a' } },
    ]) {
      assert.equal(idsNamedBy(filter), undefined, JSON.stringify(filter));
    }
  });

  test('when a collation is in force, then a string _id is not looked up by its key', () => {
    assert.equal(
      withStringOrder(
        (a, b) => a.localeCompare(b),
        () => idsNamedBy({ _id: 'a' }),
      ),
      undefined,
    );
  });
});
