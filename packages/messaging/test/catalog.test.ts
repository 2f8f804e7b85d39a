import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { shopEvents, type ShopEventData } from '@shop/contracts';
import { createMetricsRegistry } from '@shop/service-kit';
import {
  connectRabbit,
  createEnvelope,
  InvalidEventError,
  isEventType,
  parseEventData,
  type EventData,
  type EventType,
} from '../src';
import { logger } from './fixtures/harness';

test('when a catalogue is given, then its event types and data are the ones derived from it, and no other', () => {
  const things = {
    exchanges: ['things'],
    events: {
      THING_MADE: {
        exchange: 'things',
        routingKey: 'thing.made',
        schema: z.object({ thingId: z.string().min(1) }),
        consumed: false,
      },
    },
  } as const;
  const type: EventType<typeof things> = 'THING_MADE';
  const data: EventData<typeof things, 'THING_MADE'> = parseEventData(things, type, {
    thingId: 't-1',
  });
  assert.deepEqual(data, { thingId: 't-1' });
  assert.equal(isEventType(things, 'THING_MADE'), true);
  assert.equal(isEventType(things, 'ORDER_CREATED'), false);
  assert.throws(() => parseEventData(things, type, { thingId: '' }), InvalidEventError);
});

test('when money is not integer cents, then ORDER_CREATED is refused with the field named', () => {
  const order: ShopEventData<'ORDER_CREATED'> = {
    orderId: 'o-1',
    userId: 'u-1',
    items: [{ productId: 'p-1', quantity: 1, unitPrice: 19.99 }],
    total: 1999,
  };
  assert.throws(
    () => parseEventData(shopEvents, 'ORDER_CREATED', order),
    (error: unknown) => error instanceof InvalidEventError && /unitPrice/.test(error.message),
  );
  assert.throws(
    () => parseEventData(shopEvents, 'ORDER_CREATED', { ...order, items: [] }),
    InvalidEventError,
  );
  assert.throws(
    () =>
      parseEventData(shopEvents, 'ORDER_CREATED', {
        ...order,
        orderId: 42,
        items: [{ ...order.items[0], unitPrice: 1999 }],
      }),
    /orderId/,
  );
});

test('when data is valid, then the envelope carries a uuid, the type, an ISO timestamp and the parsed data', () => {
  const envelope = createEnvelope(
    shopEvents,
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
  assert.equal(
    createEnvelope(shopEvents, 'INVENTORY_RELEASED', { orderId: 'o-1' }).correlationId,
    null,
  );
  assert.throws(
    () =>
      parseEventData(shopEvents, 'PRODUCT_CREATED', {
        productId: 'p-1',
        sku: 'S',
        initialStock: -1,
      }),
    /initialStock/,
  );
});

test('when publish is given invalid data, then it rejects at once with InvalidEventError, even with no broker', async () => {
  const rabbit = connectRabbit({
    catalog: shopEvents,
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
