import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalogQuery, newProductBody, productChangesBody } from '@shop/contracts';
import { canonicalQuery, escapeRegex, offsetOf } from '../src/domain/catalog-query';
import { isProductId } from '../src/domain/product';
import { productCreated } from '../src/domain/product-events';

test('when search text is escaped, then every metacharacter matches itself', () => {
  const text = 'a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o/p-q';

  const pattern = new RegExp(escapeRegex(text), 'i');

  assert.ok(pattern.test(`xx${text.toUpperCase()}yy`));
  assert.equal(new RegExp(escapeRegex('.*')).test('anything'), false);
});

test('when two queries differ only in order or in spelling out defaults, then they share one cache key', () => {
  const a = catalogQuery.parse({ category: 'Books', maxPrice: '900', minPrice: '100' });
  const b = catalogQuery.parse({
    minPrice: '100',
    maxPrice: '900',
    category: 'books',
    page: '1',
    limit: '20',
    sort: 'newest',
  });
  const c = catalogQuery.parse({ category: 'books', minPrice: '100', maxPrice: '901' });

  assert.equal(canonicalQuery(a), canonicalQuery(b));
  assert.notEqual(canonicalQuery(a), canonicalQuery(c));
});

test('when a query is parsed, then defaults, bounds and the page offset follow the documented rules', () => {
  const defaults = catalogQuery.parse({});

  assert.deepEqual(defaults, { sort: 'newest', page: 1, limit: 20 });
  assert.equal(offsetOf({ page: 3, limit: 25 }), 50);
  assert.equal(catalogQuery.safeParse({ limit: '100' }).success, true);
  assert.equal(catalogQuery.safeParse({ limit: '101' }).success, false);
  assert.equal(catalogQuery.safeParse({ limit: '0' }).success, false);
  assert.equal(catalogQuery.safeParse({ minPrice: '10', maxPrice: '9' }).success, false);
  assert.equal(catalogQuery.safeParse({ minPrice: '1e3' }).success, false);
  assert.equal(catalogQuery.safeParse({ q: ['a', 'b'] }).success, false);
  assert.equal(catalogQuery.safeParse({ q: { $ne: 'x' } }).success, false);
});

test('when a new product is parsed, then its category is lowercased and its sku and money are checked', () => {
  const valid = {
    name: ' Lamp ',
    description: '',
    price: 100,
    category: 'Lighting',
    sku: 'LAMP-1',
  };

  assert.deepEqual(newProductBody.parse(valid), { ...valid, name: 'Lamp', category: 'lighting' });
  assert.equal(newProductBody.safeParse({ ...valid, sku: 'has space' }).success, false);
  assert.equal(newProductBody.safeParse({ ...valid, price: 1.5 }).success, false);
  assert.equal(newProductBody.safeParse({ ...valid, initialStock: -1 }).success, false);
  assert.equal(productChangesBody.safeParse({}).success, false);
  assert.equal(productChangesBody.safeParse({ initialStock: 3 }).success, false);
});

test('when ids are checked, then only 24 lower-case hex digits can name a product', () => {
  assert.equal(isProductId('0123456789abcdefabcdef01'), true);
  assert.equal(isProductId('0123456789abcdefABCDEF01'), false);
  assert.equal(isProductId('0123456789abcdef0123456'), false);
  assert.equal(isProductId('0123456789abcdef0123456g'), false);
});

test('when PRODUCT_CREATED is prepared, then initialStock is carried only when given', () => {
  const withStock = productCreated({ productId: 'p', sku: 's', initialStock: 0 }, null);
  const withoutStock = productCreated({ productId: 'p', sku: 's' }, 'req-1');

  assert.deepEqual(withStock.data, { productId: 'p', sku: 's', initialStock: 0 });
  assert.deepEqual(withoutStock.data, { productId: 'p', sku: 's' });
  assert.equal(withoutStock.correlationId, 'req-1');
  assert.notEqual(withStock.eventId, withoutStock.eventId);
});
