import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import {
  catalogQuery,
  newProductBody,
  placeOrderBody,
  productChangesBody,
  productParams,
  registerBody,
  stockParams,
} from '../src/index';

const PRODUCT_ID = '65a1b2c3d4e5f60718293a4b';
const validProduct = {
  name: 'Lamp',
  description: 'A lamp',
  price: 1999,
  category: 'home',
  sku: 'LAMP-1',
};
const validRegistration = { email: 'ann@example.com', password: 'Correct-Horse-7', name: 'Ann' };

// Each text field of each request shape, and a valid value of the whole shape around it.
const TEXT_FIELDS: [string, z.ZodType, Record<string, unknown>, string][] = [
  ['registration', registerBody, validRegistration, 'name'],
  ['registration', registerBody, validRegistration, 'email'],
  ['registration', registerBody, validRegistration, 'password'],
  ['new product', newProductBody, validProduct, 'name'],
  ['new product', newProductBody, validProduct, 'description'],
  ['new product', newProductBody, validProduct, 'category'],
  ['new product', newProductBody, validProduct, 'sku'],
  ['product changes', productChangesBody, { name: 'Lamp' }, 'name'],
  ['catalog query', catalogQuery, { q: 'lamp' }, 'q'],
  ['catalog query', catalogQuery, { category: 'home' }, 'category'],
];

const HOSTILE: [string, string][] = [
  ['a NUL', 'La\u0000mp'],
  ['an escape character', 'La\u001bmp'],
  ['a DEL', 'La\u007fmp'],
  ['a C1 control', 'La\u0085mp'],
  ['a lone high surrogate', 'La\ud800mp'],
  ['a lone low surrogate', 'Lamp\udc00'],
];

describe('text fields', () => {
  for (const [shape, schema, valid, field] of TEXT_FIELDS) {
    test(`when the ${shape}'s ${field} is valid, then the shape passes`, () => {
      assert.equal(schema.safeParse(valid).success, true);
    });
    for (const [what, value] of HOSTILE) {
      test(`when the ${shape}'s ${field} holds ${what}, then it is refused on that field`, () => {
        const hostile = `${String(valid[field] ?? 'x')}${value}`;
        const result = schema.safeParse({ ...valid, [field]: hostile });
        assert.equal(result.success, false);
        assert.ok(
          result.error?.issues.some((issue) => issue.path.join('.') === field),
          JSON.stringify(result.error?.issues),
        );
      });
    }
  }

  test('when a name holds a character outside the BMP (a well-formed surrogate pair), then it passes', () => {
    assert.equal(newProductBody.safeParse({ ...validProduct, name: 'Lamp 💡' }).success, true);
  });

  test('when a description has line breaks and tabs, then it passes; a name with them does not', () => {
    const layout = 'First line\n\tsecond line\r\nthird';
    assert.equal(newProductBody.safeParse({ ...validProduct, description: layout }).success, true);
    assert.equal(newProductBody.safeParse({ ...validProduct, name: 'Two\nlines' }).success, false);
  });
});

describe('product ids', () => {
  const spellings: [string, string][] = [
    ['upper case', PRODUCT_ID.toUpperCase()],
    ['mixed case', '65A1b2c3d4e5f60718293a4b'],
    ['padded with spaces', ` ${PRODUCT_ID} `],
    ['too short', PRODUCT_ID.slice(1)],
    ['not hex', 'zz'.repeat(12)],
    ['a lone surrogate', `${PRODUCT_ID.slice(1)}\ud800`],
    ['a NUL', `${PRODUCT_ID.slice(1)}\u0000`],
  ];

  test('when the id is 24 lower-case hex digits, then every shape that names a product takes it', () => {
    assert.equal(productParams.safeParse({ id: PRODUCT_ID }).success, true);
    assert.equal(stockParams.safeParse({ productId: PRODUCT_ID }).success, true);
    assert.equal(
      placeOrderBody.safeParse({ items: [{ productId: PRODUCT_ID, quantity: 1 }] }).success,
      true,
    );
  });

  for (const [what, spelling] of spellings) {
    test(`when a product id is ${what}, then the path, the stock path and the order line refuse it`, () => {
      assert.equal(productParams.safeParse({ id: spelling }).success, false);
      assert.equal(stockParams.safeParse({ productId: spelling }).success, false);
      const order = placeOrderBody.safeParse({ items: [{ productId: spelling, quantity: 1 }] });
      assert.deepEqual(
        order.error?.issues.map((issue) => issue.path.join('.')),
        ['items.0.productId'],
      );
    });
  }

  test('when one product is spelled three ways to pass the per-product cap, then the order is refused', () => {
    const items = [PRODUCT_ID, PRODUCT_ID.toUpperCase(), ` ${PRODUCT_ID}`].map((productId) => ({
      productId,
      quantity: 1000,
    }));
    assert.equal(placeOrderBody.safeParse({ items }).success, false);
  });
});
