import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { startTestServer } from '@shop/testkit';
import type { RunningServer } from '@shop/service-kit';
import {
  countRows,
  customer,
  postOrder,
  startOrderService,
  type OrderServiceUnderTest,
} from './support';

const LAMP = 'b10000000000000000000001';

/**
 * A catalog that, like MongoDB's ObjectId parser, finds a product whatever the letter case of its
 * id: order-service alone must insist on the one spelling.
 */
async function startForgivingCatalog(): Promise<RunningServer> {
  const app = express();
  app.get('/products', (req, res) => {
    const ids = String(req.query.ids ?? '').split(',');
    const items = ids.some((id) => id.trim().toLowerCase() === LAMP)
      ? [{ id: LAMP, name: 'Lamp', price: 1999, description: 'd', category: 'c', sku: 'L' }]
      : [];
    res.json({ items, page: 1, limit: 100, total: items.length });
  });
  return startTestServer(app);
}

describe('product ids in orders', () => {
  let catalog: RunningServer;
  let service: OrderServiceUnderTest;

  before(async () => {
    catalog = await startForgivingCatalog();
    service = await startOrderService({ productServiceUrl: catalog.url });
  });

  after(async () => {
    await service.stop();
    await catalog.close();
  });

  const ordersOf = (userId: string) =>
    countRows(service.pool, 'SELECT count(*) FROM orders WHERE user_id = $1', [userId]);

  const refused: [string, { productId: string; quantity: number }[]][] = [
    ['in upper case', [{ productId: LAMP.toUpperCase(), quantity: 1 }]],
    ['with a lone surrogate', [{ productId: `${LAMP.slice(1)}\ud800`, quantity: 1 }]],
    ['with a NUL', [{ productId: `${LAMP.slice(1)}\u0000`, quantity: 1 }]],
    [
      'three ways to pass the per-product cap',
      [LAMP, LAMP.toUpperCase(), ` ${LAMP} `].map((productId) => ({ productId, quantity: 1000 })),
    ],
  ];

  for (const [what, items] of refused) {
    test(`when a line names its product ${what}, then 400 on that line and no order exists`, async () => {
      const alice = customer();
      const response = await service.http.post('/orders', { items }, { token: alice.token });
      assert.equal(response.status, 400, response.text);
      assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
      assert.ok(
        response.body.errors.some((error: { path: string }) =>
          /^items\.\d\.productId$/.test(error.path),
        ),
        response.text,
      );
      assert.equal(await ordersOf(alice.userId), 0);
    });
  }

  test('when a line names its product in the canonical spelling, then the order is placed', async () => {
    const alice = customer();
    const response = await postOrder(service, alice.token, [{ productId: LAMP, quantity: 2 }]);
    assert.equal(response.status, 201, response.text);
    assert.equal(response.body.items[0].productId, LAMP);
  });
});
