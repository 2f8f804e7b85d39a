import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { metricValue, startTcpProxy, testServers, waitFor, type TcpProxy } from '@shop/testkit';
import {
  countRows,
  customer,
  HELD,
  MUG,
  outboxEventsOf,
  postOrder,
  SCARCE,
  statusHistory,
  stubProducts,
  TEA,
  useSaga,
  waitForStatus,
  type OrderServiceUnderTest,
} from './support';

const products = stubProducts(MUG, TEA, SCARCE, HELD);
const stock = { [MUG]: 100, [TEA]: 100, [SCARCE]: 1, [HELD]: 100 };

async function processed(service: OrderServiceUnderTest, eventId: string): Promise<boolean> {
  return (
    (await countRows(service.pool, 'SELECT count(*) FROM inbox WHERE event_id = $1', [eventId])) ===
    1
  );
}

describe('the order saga through real events', () => {
  const saga = useSaga({ products, stock, held: [HELD] });

  test('when inventory reserves the stock, then the order ends CONFIRMED and ORDER_CONFIRMED goes out', async () => {
    const { service, inventory } = saga;
    const alice = customer();
    const confirmedBefore = await metricValue(service.metrics, 'orders_final_total', {
      status: 'CONFIRMED',
    });
    const settledBefore = await metricValue(service.metrics, 'order_time_to_final_seconds_count');
    const placed = await postOrder(service, alice.token, [
      { productId: MUG, quantity: 2 },
      { productId: TEA, quantity: 1 },
    ]);
    assert.equal(placed.status, 201, placed.text);
    assert.equal(placed.body.status, 'PENDING');

    const confirmed = await waitForStatus(service, alice.token, placed.body.id, 'CONFIRMED');
    assert.equal(confirmed.total, 3048);
    assert.equal(confirmed.rejectionReason, undefined);

    const created = inventory.envelopeOf(placed.body.id, 'ORDER_CREATED');
    assert.deepEqual(created?.data, {
      orderId: placed.body.id,
      userId: alice.userId,
      items: [
        { productId: MUG, quantity: 2, unitPrice: 1299 },
        { productId: TEA, quantity: 1, unitPrice: 450 },
      ],
      total: 3048,
    });
    await waitFor(() => inventory.eventsOf(placed.body.id).includes('ORDER_CONFIRMED'), {
      what: 'ORDER_CONFIRMED',
    });
    assert.deepEqual(await statusHistory(service.pool, placed.body.id), [
      { from: null, to: 'PENDING', reason: 'placed' },
      { from: 'PENDING', to: 'CONFIRMED', reason: 'stock reserved' },
    ]);
    assert.equal(
      await metricValue(service.metrics, 'orders_final_total', { status: 'CONFIRMED' }),
      confirmedBefore + 1,
    );
    assert.equal(
      await metricValue(service.metrics, 'order_time_to_final_seconds_count'),
      settledBefore + 1,
    );

    const cancelled = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: alice.token,
    });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'CANCELLED');
    await waitFor(() => inventory.eventsOf(placed.body.id).includes('ORDER_CANCELLED'), {
      what: 'ORDER_CANCELLED after confirming, so inventory releases the stock',
    });

    const released = await inventory.rabbit.publish('INVENTORY_RELEASED', {
      orderId: placed.body.id,
    });
    await waitFor(() => processed(service, released.eventId), { what: 'INVENTORY_RELEASED' });
    assert.deepEqual((await statusHistory(service.pool, placed.body.id)).at(-1), {
      from: 'CANCELLED',
      to: 'CANCELLED',
      reason: 'inventory released the reserved stock',
    });
  });

  test('when inventory is short of a product, then the order ends REJECTED with the shortage, and cancelling it is 409', async () => {
    const { service, inventory } = saga;
    const bob = customer();
    const placed = await postOrder(service, bob.token, [{ productId: SCARCE, quantity: 3 }]);
    assert.equal(placed.status, 201, placed.text);

    const rejected = await waitForStatus(service, bob.token, placed.body.id, 'REJECTED');
    assert.deepEqual(rejected.rejectionReason, {
      reason: 'insufficient stock',
      shortages: [{ productId: SCARCE, requested: 3, available: 1 }],
    });
    await waitFor(() => inventory.envelopeOf(placed.body.id, 'ORDER_REJECTED'), {
      what: 'ORDER_REJECTED',
    });
    assert.deepEqual(inventory.envelopeOf(placed.body.id, 'ORDER_REJECTED')?.data, {
      orderId: placed.body.id,
      userId: bob.userId,
      reason: 'insufficient stock',
    });

    const cancel = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: bob.token,
    });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.orderStatus, 'REJECTED');
    const after = await service.http.get(`/orders/${placed.body.id}`, { token: bob.token });
    assert.equal(after.body.status, 'REJECTED');
    assert.equal(await outboxEventsOf(service, 'ORDER_CANCELLED', placed.body.id), 0);
  });

  test('when a cancel wins the race against the reservation, then the order stays CANCELLED and nothing is confirmed', async () => {
    const { service, inventory } = saga;
    const carol = customer();
    const placed = await postOrder(service, carol.token, [{ productId: HELD, quantity: 1 }]);
    await waitFor(() => inventory.eventsOf(placed.body.id).includes('ORDER_CREATED'), {
      what: 'ORDER_CREATED at inventory',
    });
    const cancelled = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: carol.token,
    });
    assert.equal(cancelled.status, 200);

    const late = await inventory.rabbit.publish('INVENTORY_RESERVED', {
      orderId: placed.body.id,
      items: [{ productId: HELD, quantity: 1 }],
    });
    await waitFor(() => processed(service, late.eventId), {
      what: 'order-service to process the late INVENTORY_RESERVED',
    });

    const order = await service.http.get(`/orders/${placed.body.id}`, { token: carol.token });
    assert.equal(order.body.status, 'CANCELLED');
    assert.equal(await outboxEventsOf(service, 'ORDER_CONFIRMED', placed.body.id), 0);
  });

  test('when inventory redelivers the same answer, then the order moves once', async () => {
    const { service, inventory } = saga;
    const dave = customer();
    const placed = await postOrder(service, dave.token, [{ productId: HELD, quantity: 2 }]);
    const answer = {
      orderId: placed.body.id,
      items: [{ productId: HELD, quantity: 2 }],
    };
    const first = await inventory.rabbit.publish('INVENTORY_RESERVED', answer);
    await inventory.rabbit.publish('INVENTORY_RESERVED', answer, { eventId: first.eventId });
    await waitForStatus(service, dave.token, placed.body.id, 'CONFIRMED');
    const other = await inventory.rabbit.publish('INVENTORY_RESERVED', answer);
    await waitFor(() => processed(service, other.eventId), {
      what: 'the second, distinct INVENTORY_RESERVED to be processed',
    });

    assert.equal(await outboxEventsOf(service, 'ORDER_CONFIRMED', placed.body.id), 1);
    assert.equal(
      (await statusHistory(service.pool, placed.body.id)).filter((row) => row.to === 'CONFIRMED')
        .length,
      1,
    );
  });

  test('when inventory contradicts itself (rejects a confirmed order), then the event is dead-lettered at once and the order stays CONFIRMED', async () => {
    const { service, inventory } = saga;
    const frank = customer();
    const placed = await postOrder(service, frank.token, [{ productId: TEA, quantity: 1 }]);
    await waitForStatus(service, frank.token, placed.body.id, 'CONFIRMED');
    const deadBefore = await metricValue(service.metrics, 'messaging_events_consumed_total', {
      event_type: 'INVENTORY_REJECTED',
      result: 'dead-lettered',
    });

    await inventory.rabbit.publish('INVENTORY_REJECTED', {
      orderId: placed.body.id,
      reason: 'insufficient stock',
      shortages: [{ productId: TEA, requested: 1, available: 0 }],
    });

    await waitFor(
      async () =>
        (await metricValue(service.metrics, 'messaging_events_consumed_total', {
          event_type: 'INVENTORY_REJECTED',
          result: 'dead-lettered',
        })) ===
        deadBefore + 1,
      { what: 'the contradicting answer to be dead-lettered' },
    );
    const order = await service.http.get(`/orders/${placed.body.id}`, { token: frank.token });
    assert.equal(order.body.status, 'CONFIRMED');
    assert.equal(order.body.rejectionReason, undefined);
  });
});

describe('the order saga across a RabbitMQ outage', () => {
  let proxy: TcpProxy;
  before(async () => {
    const broker = new URL(testServers.rabbitmqUrl);
    proxy = await startTcpProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
  });
  const saga = useSaga({
    products,
    stock,
    serviceOptions: () => ({ rabbitmqUrl: proxy.wrap(testServers.rabbitmqUrl) }),
  });
  // Before the saga stops, so it closes over a live broker even when a test failed mid-cut.
  afterEach(() => proxy.restore());
  after(() => proxy.close());

  test('when an order is placed while RabbitMQ is unreachable, then it is accepted and reaches CONFIRMED once the broker is back', async () => {
    const { service } = saga;
    const erin = customer();
    proxy.cut();
    await waitFor(() => !service.rabbit.isConnected(), { what: 'the service to notice the cut' });
    const ready = await service.http.get('/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.rabbitmq, 'down');

    const placed = await postOrder(service, erin.token, [{ productId: MUG, quantity: 1 }]);
    assert.equal(placed.status, 201, placed.text);
    assert.equal(
      await countRows(
        service.pool,
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND envelope->'data'->>'orderId' = $1",
        [placed.body.id],
      ),
      1,
      'ORDER_CREATED waits in the outbox',
    );

    proxy.restore();
    await waitForStatus(service, erin.token, placed.body.id, 'CONFIRMED');
    assert.equal((await service.http.get('/ready')).status, 200);
  });
});
