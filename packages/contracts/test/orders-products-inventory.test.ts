import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  catalogQuery,
  listOrdersQuery,
  newProductBody,
  placeOrderBody,
  productChangesBody,
  restockBody,
} from '../src/index';

// Product ids are 24 lower-case hex digits; a number picks one.
const productId = (n: number) => n.toString(16).padStart(24, '0');
const line = (product: number, quantity = 1) => ({ productId: productId(product), quantity });
const issuePaths = (result: { error?: { issues: { path: PropertyKey[] }[] } }) =>
  result.error?.issues.map((issue) => issue.path.join('.'));

describe('the order body', () => {
  test('when an order has no lines or more than 100, then it is refused on items', () => {
    assert.deepEqual(issuePaths(placeOrderBody.safeParse({ items: [] })), ['items']);
    const tooMany = Array.from({ length: 101 }, (_, index) => line(index));
    assert.deepEqual(issuePaths(placeOrderBody.safeParse({ items: tooMany })), ['items']);
    assert.equal(placeOrderBody.safeParse({ items: tooMany.slice(0, 100) }).success, true);
  });

  test('when duplicate lines together exceed 1000 of a product, then it is refused on items', () => {
    const result = placeOrderBody.safeParse({ items: [line(1, 600), line(1, 401)] });
    assert.deepEqual(issuePaths(result), ['items']);
    assert.match(result.error?.issues[0]?.message ?? '', /At most 1000 of one product/);
    assert.equal(placeOrderBody.safeParse({ items: [line(1, 600), line(1, 400)] }).success, true);
  });

  test('when a line has a fractional or zero quantity, then the issue names that line', () => {
    assert.deepEqual(issuePaths(placeOrderBody.safeParse({ items: [line(1, 1.5)] })), [
      'items.0.quantity',
    ]);
    assert.deepEqual(issuePaths(placeOrderBody.safeParse({ items: [line(1, 0)] })), [
      'items.0.quantity',
    ]);
  });

  test('when the order list asks for 500 per page, then it is capped to 100', () => {
    assert.deepEqual(listOrdersQuery.parse({ limit: '500' }), { page: 1, limit: 100 });
    assert.equal(listOrdersQuery.safeParse({ status: 'SHIPPED' }).success, false);
  });
});

describe('the catalog query and product bodies', () => {
  test('when a query parameter is an operator object or repeated, then it is refused', () => {
    assert.deepEqual(issuePaths(catalogQuery.safeParse({ q: { $ne: 'x' } })), ['q']);
    assert.deepEqual(issuePaths(catalogQuery.safeParse({ q: ['a', 'b'] })), ['q']);
    assert.deepEqual(issuePaths(catalogQuery.safeParse({ 'q[$ne]': 'x' })), ['']);
  });

  test('when the query is empty, then the defaults apply; a page over 100 is refused', () => {
    assert.deepEqual(catalogQuery.parse({}), { sort: 'newest', page: 1, limit: 20 });
    assert.deepEqual(issuePaths(catalogQuery.safeParse({ limit: '101' })), ['limit']);
    assert.deepEqual(issuePaths(catalogQuery.safeParse({ minPrice: '10', maxPrice: '9' })), [
      'minPrice',
    ]);
  });

  test('when a product body holds an unknown key or an operator, then it is refused', () => {
    const valid = { name: 'Lamp', description: '', price: 1999, category: 'Lighting', sku: 'L-1' };
    assert.equal(newProductBody.parse(valid).category, 'lighting');
    assert.deepEqual(issuePaths(newProductBody.safeParse({ ...valid, price: { $gt: 0 } })), [
      'price',
    ]);
    assert.equal(newProductBody.safeParse({ ...valid, owner: 'me' }).success, false);
    assert.equal(productChangesBody.safeParse({}).success, false);
  });

  test('when a restock is negative or beyond an int4, then it is refused', () => {
    assert.equal(restockBody.safeParse({ available: -1 }).success, false);
    assert.equal(restockBody.safeParse({ available: 1_000_000_001 }).success, false);
    assert.equal(restockBody.safeParse({ available: 0 }).success, true);
  });
});
