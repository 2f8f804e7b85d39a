import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { orderRequestFingerprint } from '../src/domain/idempotency';
import { mergeOrderLines } from '../src/domain/order-lines';
import { priceOrderLines, type CatalogProduct } from '../src/domain/pricing';

const catalog = new Map<string, CatalogProduct>([
  ['p-mug', { id: 'p-mug', name: 'Mug', price: 1299 }],
  ['p-tea', { id: 'p-tea', name: 'Tea', price: 450 }],
]);

describe('priceOrderLines', () => {
  test('when every product is known, then each line is priced in cents and the total is their sum', () => {
    const result = priceOrderLines(
      [
        { productId: 'p-mug', quantity: 2 },
        { productId: 'p-tea', quantity: 3 },
      ],
      catalog,
    );
    assert.deepEqual(result, {
      ok: true,
      lines: [
        { productId: 'p-mug', name: 'Mug', quantity: 2, unitPrice: 1299, lineTotal: 2598 },
        { productId: 'p-tea', name: 'Tea', quantity: 3, unitPrice: 450, lineTotal: 1350 },
      ],
      total: 3948,
    });
  });

  test('when some products are unknown, then it names every unknown id and prices nothing', () => {
    const result = priceOrderLines(
      [
        { productId: 'p-gone', quantity: 1 },
        { productId: 'p-mug', quantity: 1 },
        { productId: 'p-lost', quantity: 1 },
      ],
      catalog,
    );
    assert.deepEqual(result, { ok: false, unknownProductIds: ['p-gone', 'p-lost'] });
  });

  test('when prices are odd cents, then the total is exact (no float drift)', () => {
    const cheap = new Map([['p-a', { id: 'p-a', name: 'A', price: 10 }]]);
    const result = priceOrderLines([{ productId: 'p-a', quantity: 3 }], cheap);
    assert.ok(result.ok);
    assert.equal(result.total, 30);
    assert.ok(Number.isInteger(result.total));
  });
});

describe('mergeOrderLines', () => {
  test('when a product appears on several lines, then they become one line with the summed quantity, in first-seen order', () => {
    assert.deepEqual(
      mergeOrderLines([
        { productId: 'b', quantity: 1 },
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 4 },
      ]),
      [
        { productId: 'b', quantity: 5 },
        { productId: 'a', quantity: 2 },
      ],
    );
  });
});

describe('orderRequestFingerprint', () => {
  test('when the same products and quantities come in another order, then the fingerprint is the same', () => {
    const one = orderRequestFingerprint([
      { productId: 'a', quantity: 1 },
      { productId: 'b', quantity: 2 },
    ]);
    const two = orderRequestFingerprint([
      { productId: 'b', quantity: 2 },
      { productId: 'a', quantity: 1 },
    ]);
    assert.equal(one, two);
  });

  test('when a quantity differs, then the fingerprint differs', () => {
    assert.notEqual(
      orderRequestFingerprint([{ productId: 'a', quantity: 1 }]),
      orderRequestFingerprint([{ productId: 'a', quantity: 2 }]),
    );
  });
});
