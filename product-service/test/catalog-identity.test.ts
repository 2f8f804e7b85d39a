import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { catalogCacheNamespace } from '../src/db/catalog-identity';
import { createTestCatalogDatabase, type TestCatalogDatabase } from './support';

let one: TestCatalogDatabase;
let other: TestCatalogDatabase;

before(async () => {
  [one, other] = await Promise.all([createTestCatalogDatabase(), createTestCatalogDatabase()]);
});
after(async () => {
  await Promise.all([one.destroy(), other.destroy()]);
});

test('when replicas of one catalog ask for its cache namespace, then they agree, and another catalog gets its own', async () => {
  const [first, second] = await Promise.all([
    catalogCacheNamespace(one.connection),
    catalogCacheNamespace(one.connection),
  ]);
  const again = await catalogCacheNamespace(one.connection);
  const elsewhere = await catalogCacheNamespace(other.connection);

  assert.match(first, /^[0-9a-f]{12}$/);
  assert.equal(second, first);
  assert.equal(again, first);
  assert.notEqual(elsewhere, first);
});
