import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { orderRequestFingerprint } from '../src/domain/idempotency';
import { mergeOrderLines } from '../src/domain/order-lines';
import { MAX_ORDER_TOTAL_CENTS, priceOrderLines, type CatalogProduct } from '../src/domain/pricing';

const catalog = new Map<string, CatalogProduct>([
  ['p-mug', { id: 'p-mug', name: 'Mug', price: 1299 }],
  ['p-tea', { id: 'p-tea', name: 'Tea', price: 450 }],
]);

/** An order's lines, one a product, as `{ productId: quantity }` in line order. */
const linesOf = (quantities: Record<string, number>) =>
  Object.entries(quantities).map(([productId, quantity]) => ({ productId, quantity }));

describe('priceOrderLines', () => {
  test('when every product is known, then each line is priced in cents and the total is their sum', () => {
    const result = priceOrderLines(linesOf({ 'p-mug': 2, 'p-tea': 3 }), catalog);
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
    const result = priceOrderLines(linesOf({ 'p-gone': 1, 'p-mug': 1, 'p-lost': 1 }), catalog);
    assert.deepEqual(result, {
      ok: false,
      refusal: 'unknown-products',
      unknownProductIds: ['p-gone', 'p-lost'],
    });
  });

  test('when prices are odd cents, then the total is exact (no float drift)', () => {
    const cheap = new Map([['p-a', { id: 'p-a', name: 'A', price: 10 }]]);
    const result = priceOrderLines([{ productId: 'p-a', quantity: 3 }], cheap);
    assert.ok(result.ok);
    assert.equal(result.total, 30);
    assert.ok(Number.isInteger(result.total));
  });
});

describe('priceOrderLines at the most one order may cost', () => {
  const pricey = new Map<string, CatalogProduct>([
    ['p-max', { id: 'p-max', name: 'Max', price: Number.MAX_SAFE_INTEGER }],
    ['p-half', { id: 'p-half', name: 'Half', price: MAX_ORDER_TOTAL_CENTS / 2 }],
    ['p-cent', { id: 'p-cent', name: 'Cent', price: 1 }],
    ['p-mug', { id: 'p-mug', name: 'Mug', price: 1299 }],
  ]);

  test('when a line costs more than the maximum (a price near 2^53 times 3), then it is refused naming that line', () => {
    const result = priceOrderLines(linesOf({ 'p-mug': 1, 'p-max': 3 }), pricey);
    assert.deepEqual(result, {
      ok: false,
      refusal: 'over-limit',
      productId: 'p-max',
      maxTotal: MAX_ORDER_TOTAL_CENTS,
    });
  });

  test('when every line fits but their sum is over the maximum, then the order is refused as a whole', () => {
    const result = priceOrderLines(linesOf({ 'p-half': 2, 'p-cent': 1 }), pricey);
    assert.deepEqual(result, { ok: false, refusal: 'over-limit', maxTotal: MAX_ORDER_TOTAL_CENTS });
  });

  test('when the total is exactly the maximum, then it is priced, and the maximum is a safe integer', () => {
    const result = priceOrderLines([{ productId: 'p-half', quantity: 2 }], pricey);
    assert.ok(result.ok);
    assert.equal(result.total, MAX_ORDER_TOTAL_CENTS);
    assert.ok(
      Number.isSafeInteger(MAX_ORDER_TOTAL_CENTS * 100),
      '100 lines at the limit stay exact',
    );
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
