import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricValue, waitFor } from '@shop/testkit';
import { customer, placeOrder, useSaga, waitForStatus } from './support';

const LAMP = 'c10000000000000000000001';
const HELD = 'c20000000000000000000002';

const products = [
  { id: LAMP, name: 'Lamp', price: 2500 },
  { id: HELD, name: 'Preorder', price: 100 },
];

describe('saga metrics: time to a final status, and the oldest PENDING order', () => {
  const saga = useSaga({ products, stock: { [LAMP]: 10, [HELD]: 10 }, held: [HELD] });

  test('when an order waits for inventory, then orders_pending_oldest_age_seconds shows its age; when it ends, the saga latency is observed under its final status', async () => {
    const { service } = saga;
    const alice = customer();
    const held = await placeOrder(service, alice.token, [{ productId: HELD, quantity: 1 }]);
    await waitFor(
      async () => (await metricValue(service.metrics, 'orders_pending_oldest_age_seconds')) >= 1,
      { what: 'the held order to be a second old on the gauge' },
    );

    const confirmed = await placeOrder(service, alice.token, [{ productId: LAMP, quantity: 1 }]);
    await waitForStatus(service, alice.token, confirmed, 'CONFIRMED');
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
