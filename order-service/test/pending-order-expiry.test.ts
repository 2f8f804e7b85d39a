import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricValue, waitFor } from '@shop/testkit';
import { EXPIRY_REASON, expirePendingOrders } from '../src/use-cases/expire-pending-orders';
import {
  customer,
  HELD,
  MUG,
  outboxEventsOf,
  placeOrder,
  statusHistory,
  stubProducts,
  useSaga,
  type OrderServiceUnderTest,
} from './support';

const products = stubProducts(MUG, HELD);
const stock = { [MUG]: 1000, [HELD]: 1000 };

const placeOne = (service: OrderServiceUnderTest, token: string, productId: string) =>
  placeOrder(service, token, [{ productId, quantity: 1 }]);

async function orderStatus(service: OrderServiceUnderTest, orderId: string): Promise<string> {
  const { rows } = await service.pool.query<{ status: string }>(
    'SELECT status FROM orders WHERE id = $1',
    [orderId],
  );
  return rows[0]!.status;
}

const cancelledEvents = (service: OrderServiceUnderTest, orderId: string) =>
  outboxEventsOf(service, 'ORDER_CANCELLED', orderId);

describe('the pending-order sweeper as main.ts runs it', () => {
  const saga = useSaga({
    products,
    stock,
    held: [HELD],
    serviceOptions: () => ({ pendingOrderTimeoutMs: 300, pendingSweepIntervalMs: 100 }),
  });

  test('when nobody answers ORDER_CREATED, then the order is CANCELLED after the timeout and ORDER_CANCELLED is published', async () => {
    const { service, inventory } = saga;
    const alice = customer();
    const expiredBefore = await metricValue(service.metrics, 'orders_expired_total');
    const cancelledBefore = await metricValue(service.metrics, 'orders_final_total', {
      status: 'CANCELLED',
    });
    const orderId = await placeOne(service, alice.token, HELD);
    await waitFor(() => inventory.eventsOf(orderId).includes('ORDER_CREATED'), {
      what: 'ORDER_CREATED at inventory, which leaves it unanswered',
    });

    await waitFor(() => inventory.eventsOf(orderId).includes('ORDER_CANCELLED'), {
      timeoutMs: 10_000,
      what: 'ORDER_CANCELLED for the unanswered order',
    });

    const order = await service.http.get(`/orders/${orderId}`, { token: alice.token });
    assert.equal(order.body.status, 'CANCELLED');
    assert.deepEqual(order.body.cancellation, {
      reason: EXPIRY_REASON,
      by: 'system',
      at: order.body.updatedAt,
    });
    assert.deepEqual(inventory.envelopeOf(orderId, 'ORDER_CANCELLED')?.data, {
      orderId,
      userId: alice.userId,
    });
    assert.deepEqual(await statusHistory(service.pool, orderId), [
      { from: null, to: 'PENDING', reason: 'placed' },
      { from: 'PENDING', to: 'CANCELLED', reason: EXPIRY_REASON },
    ]);
    assert.equal(await metricValue(service.metrics, 'orders_expired_total'), expiredBefore + 1);
    assert.equal(
      await metricValue(service.metrics, 'orders_final_total', { status: 'CANCELLED' }),
      cancelledBefore + 1,
    );
  });
});

// The sweep called directly, with a zero timeout, so the test decides when it runs; the service's
// own sweeper keeps the 15-minute default and never touches these orders.
describe('expirePendingOrders', () => {
  const saga = useSaga({ products, stock, held: [HELD] });

  test('when an order is CONFIRMED, then the sweep never touches it, while a PENDING one beside it is cancelled', async () => {
    const { service } = saga;
    const bob = customer();
    const confirmedId = await placeOne(service, bob.token, MUG);
    await waitFor(async () => (await orderStatus(service, confirmedId)) === 'CONFIRMED', {
      what: 'inventory to confirm the order',
    });
    const pendingId = await placeOne(service, bob.token, HELD);

    await expirePendingOrders(service, { timeoutMs: 0, batchSize: 100 });

    assert.equal(await orderStatus(service, confirmedId), 'CONFIRMED');
    assert.deepEqual(
      (await statusHistory(service.pool, confirmedId)).map((row) => row.to),
      ['PENDING', 'CONFIRMED'],
    );
    assert.equal(await cancelledEvents(service, confirmedId), 0);
    assert.equal(await orderStatus(service, pendingId), 'CANCELLED');
    assert.equal(await cancelledEvents(service, pendingId), 1);
  });

  test('when a stale order is locked by another transaction, then the sweep skips it instead of waiting, and takes it next time', async () => {
    const { service } = saga;
    const dave = customer();
    const lockedId = await placeOne(service, dave.token, HELD);
    const freeId = await placeOne(service, dave.token, HELD);
    // Stands for inventory's answer being applied to that order at this very moment.
    const moving = await service.pool.connect();
    try {
      await moving.query('BEGIN');
      await moving.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [lockedId]);
      let finished = false;
      const sweep = expirePendingOrders(service, { timeoutMs: 0, batchSize: 100 }).finally(() => {
        finished = true;
      });
      await waitFor(() => finished, {
        timeoutMs: 5000,
        what: 'the sweep to finish without waiting on the locked order',
      });
      assert.equal(await sweep, 1);
      assert.equal(await orderStatus(service, lockedId), 'PENDING');
      assert.equal(await orderStatus(service, freeId), 'CANCELLED');
    } finally {
      await moving.query('COMMIT');
      moving.release();
    }

    assert.equal(await expirePendingOrders(service, { timeoutMs: 0, batchSize: 100 }), 1);
    assert.equal(await orderStatus(service, lockedId), 'CANCELLED');
  });

  test('when two sweepers run at once, then each stale order is cancelled once, with one history entry and one event', async () => {
    const { service } = saga;
    const carol = customer();
    const orderIds: string[] = [];
    for (let i = 0; i < 12; i++) orderIds.push(await placeOne(service, carol.token, HELD));
    const expiredBefore = await metricValue(service.metrics, 'orders_expired_total');

    // Small batches make the two sweeps overlap over several transactions, not one each.
    const counts = await Promise.all([
      expirePendingOrders(service, { timeoutMs: 0, batchSize: 3 }),
      expirePendingOrders(service, { timeoutMs: 0, batchSize: 3 }),
    ]);

    assert.equal(counts[0] + counts[1], orderIds.length, `each sweeper's share: ${counts}`);
    for (const orderId of orderIds) {
      assert.equal(await orderStatus(service, orderId), 'CANCELLED');
      const cancellations = (await statusHistory(service.pool, orderId)).filter(
        (row) => row.to === 'CANCELLED',
      );
      assert.equal(cancellations.length, 1, `order ${orderId} has one CANCELLED entry`);
      assert.equal(await cancelledEvents(service, orderId), 1);
    }
    assert.equal(
      await metricValue(service.metrics, 'orders_expired_total'),
      expiredBefore + orderIds.length,
    );
  });
});
