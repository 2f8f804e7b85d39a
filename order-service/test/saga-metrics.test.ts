import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@shop/testkit';
import {
  customer,
  metricValue,
  startInventoryPlayer,
  startOrderService,
  startStubProductService,
  type OrderServiceUnderTest,
} from './support';

const LAMP = 'c10000000000000000000001';
const HELD = 'c20000000000000000000002';

const products = [
  { id: LAMP, name: 'Lamp', price: 2500 },
  { id: HELD, name: 'Preorder', price: 100 },
];

describe('saga metrics: time to a final status, and the oldest PENDING order', () => {
  let catalog: Awaited<ReturnType<typeof startStubProductService>>;
  let service: OrderServiceUnderTest;
  let inventory: Awaited<ReturnType<typeof startInventoryPlayer>>;

  before(async () => {
    catalog = await startStubProductService(products);
    service = await startOrderService({ productServiceUrl: catalog.url });
    inventory = await startInventoryPlayer({
      pool: service.pool,
      namespace: service.namespace,
      stock: { [LAMP]: 10, [HELD]: 10 },
      held: [HELD],
    });
  });
  after(async () => {
    await inventory?.stop();
    await service?.stop();
    await catalog?.close();
  });

  const place = async (token: string, productId: string) => {
    const placed = await service.http.post(
      '/orders',
      { items: [{ productId, quantity: 1 }] },
      { token },
    );
    assert.equal(placed.status, 201, placed.text);
    return placed.body.id as string;
  };

  test('when an order waits for inventory, then orders_pending_oldest_age_seconds shows its age; when it ends, the saga latency is observed under its final status', async () => {
    const alice = customer();
    const held = await place(alice.token, HELD);
    await waitFor(
      async () => (await metricValue(service.metrics, 'orders_pending_oldest_age_seconds')) >= 1,
      { what: 'the held order to be a second old on the gauge' },
    );

    const confirmed = await place(alice.token, LAMP);
    await waitFor(
      async () =>
        (await service.http.get(`/orders/${confirmed}`, { token: alice.token })).body.status ===
        'CONFIRMED',
      { what: 'the lamp order to be CONFIRMED' },
    );
    const count = (status: string) =>
      metricValue(service.metrics, 'order_time_to_final_seconds_count', { status });
    assert.equal(await count('CONFIRMED'), 1);
    assert.equal(await count('CANCELLED'), 0);

    const cancel = await service.http.post(`/orders/${held}/cancel`, undefined, {
      token: alice.token,
    });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(await count('CANCELLED'), 1);
    assert.ok(
      (await metricValue(service.metrics, 'order_time_to_final_seconds_sum', {
        status: 'CANCELLED',
      })) >= 1,
      'the cancelled order waited at least a second',
    );
    assert.equal(await metricValue(service.metrics, 'orders_pending_oldest_age_seconds'), 0);
  });
});
