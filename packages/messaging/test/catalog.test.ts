import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricsRegistry } from '@shop/service-kit';
import {
  connectRabbit,
  createEnvelope,
  events,
  EVENT_TYPES,
  InvalidEventError,
  parseEventData,
  type EventData,
} from '../src';
import { logger } from './fixtures/harness';

test('when the catalogue is read, then every event of docs/architecture.md ("Events") has its exchange and routing key', () => {
  const routes = Object.fromEntries(
    EVENT_TYPES.map((type) => [type, `${events[type].exchange}/${events[type].routingKey}`]),
  );
  assert.deepEqual(routes, {
    ORDER_CREATED: 'orders/order.created',
    ORDER_CANCELLED: 'orders/order.cancelled',
    ORDER_CONFIRMED: 'orders/order.confirmed',
    ORDER_REJECTED: 'orders/order.rejected',
    INVENTORY_RESERVED: 'inventory/inventory.reserved',
    INVENTORY_REJECTED: 'inventory/inventory.rejected',
    INVENTORY_RELEASED: 'inventory/inventory.released',
    PRODUCT_CREATED: 'products/product.created',
    PRODUCT_DELETED: 'products/product.deleted',
    USER_REGISTERED: 'users/user.registered',
  });
});

test('when money is not integer cents, then ORDER_CREATED is refused with the field named', () => {
  const order: EventData<'ORDER_CREATED'> = {
    orderId: 'o-1',
    userId: 'u-1',
    items: [{ productId: 'p-1', quantity: 1, unitPrice: 19.99 }],
    total: 1999,
  };
  assert.throws(
    () => parseEventData('ORDER_CREATED', order),
    (error: unknown) => error instanceof InvalidEventError && /unitPrice/.test(error.message),
  );
  assert.throws(() => parseEventData('ORDER_CREATED', { ...order, items: [] }), InvalidEventError);
  assert.throws(
    () =>
      parseEventData('ORDER_CREATED', {
        ...order,
        orderId: 42,
        items: [{ ...order.items[0], unitPrice: 1999 }],
      }),
    /orderId/,
  );
});

test('when data is valid, then the envelope carries a uuid, the type, an ISO timestamp and the parsed data', () => {
  const envelope = createEnvelope(
    'INVENTORY_REJECTED',
    {
      orderId: 'o-1',
      reason: 'insufficient stock',
      shortages: [{ productId: 'p-1', requested: 3, available: 1 }],
    },
    { correlationId: 'req-7' },
  );
  assert.match(
    envelope.eventId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(envelope.eventType, 'INVENTORY_REJECTED');
  assert.equal(new Date(envelope.timestamp).toISOString(), envelope.timestamp);
  assert.equal(envelope.correlationId, 'req-7');
  assert.equal(createEnvelope('INVENTORY_RELEASED', { orderId: 'o-1' }).correlationId, null);
  assert.throws(
    () => parseEventData('PRODUCT_CREATED', { productId: 'p-1', sku: 'S', initialStock: -1 }),
    /initialStock/,
  );
});

test('when publish is given invalid data, then it rejects at once with InvalidEventError, even with no broker', async () => {
  const rabbit = connectRabbit({
    url: 'amqp://guest:guest@127.0.0.1:1',
    logger,
    metrics: createMetricsRegistry('catalog-test'),
    reconnectDelayMs: 1000,
  });
  assert.equal(rabbit.isConnected(), false);
  await assert.rejects(
    rabbit.publish('USER_REGISTERED', { userId: 'u-1', email: 'not-an-email' }),
    (error: unknown) => error instanceof InvalidEventError && /email/.test(error.message),
  );
  await rabbit.close();
});
