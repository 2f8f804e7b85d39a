import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { withTransaction } from '@shop/postgres';
import { enqueueEvent, InvalidEventError, migrateMessaging, type EventEnvelope } from '../src';
import { startHarness, type Harness } from './fixtures/harness';

let harness: Harness;

before(async () => {
  harness = await startHarness('messaging_delivery');
  await harness.pool.query(
    'CREATE TABLE reservations (order_id text PRIMARY KEY, lines int NOT NULL)',
  );
});
after(() => harness.cleanUp());

test('when an event is published, then a consumer receives it with its envelope and records it in the inbox', async () => {
  const rabbit = harness.connect();
  const received: EventEnvelope[] = [];
  const consumer = harness.consumer({
    rabbit,
    queue: 'inventory-order-events',
    events: ['ORDER_CREATED'],
    handlers: {
      ORDER_CREATED: async (event, tx) => {
        received.push(event);
        await tx.query('INSERT INTO reservations (order_id, lines) VALUES ($1, $2)', [
          event.data.orderId,
          event.data.items.length,
        ]);
      },
    },
  });
  await consumer.waitUntilConsuming();

  const sent = await rabbit.publish(
    'ORDER_CREATED',
    {
      orderId: 'o-1',
      userId: 'u-1',
      items: [{ productId: 'p-1', quantity: 2, unitPrice: 250 }],
      total: 500,
    },
    { correlationId: 'req-1' },
  );

  await waitFor(() => received.length === 1, { what: 'the event' });
  assert.deepEqual(received[0], sent);
  assert.equal(sent.correlationId, 'req-1');
  assert.match(sent.eventId, /^[0-9a-f-]{36}$/);
  // The handler runs before its transaction commits; the inbox row and the effect appear together.
  const inbox = await waitFor(async () => {
    const { rows } = await harness.pool.query('SELECT event_id, event_type FROM inbox');
    return rows.length > 0 && rows;
  });
  assert.deepEqual(inbox, [{ event_id: sent.eventId, event_type: 'ORDER_CREATED' }]);
  const reservation = await harness.pool.query(
    'SELECT lines FROM reservations WHERE order_id = $1',
    ['o-1'],
  );
  assert.equal(reservation.rows[0].lines, 1);
  await consumer.stop();
});

test('when an event is enqueued in a committed transaction, then the relay publishes it and marks it sent', async () => {
  const rabbit = harness.connect();
  const received: EventEnvelope[] = [];
  const consumer = harness.consumer({
    rabbit,
    queue: 'order-inventory-events',
    events: ['INVENTORY_RESERVED'],
    handlers: { INVENTORY_RESERVED: async (event) => void received.push(event) },
  });
  const relay = harness.relay({
    rabbit,
    intervalMs: 100,
  });
  await consumer.waitUntilConsuming();

  const enqueued = await withTransaction(harness.pool, (tx) =>
    enqueueEvent(tx, shopEvents, 'INVENTORY_RESERVED', {
      orderId: 'o-2',
      items: [{ productId: 'p-1', quantity: 1 }],
    }),
  );
  await assert.rejects(
    withTransaction(harness.pool, async (tx) => {
      await enqueueEvent(tx, shopEvents, 'INVENTORY_RESERVED', {
        orderId: 'o-rolled-back',
        items: [{ productId: 'p', quantity: 1 }],
      });
      throw new Error('the order failed');
    }),
    /the order failed/,
  );

  await waitFor(() => received.length === 1, { what: 'the relayed event' });
  assert.equal(received[0]!.eventId, enqueued.eventId);
  assert.deepEqual(received[0]!.data, {
    orderId: 'o-2',
    items: [{ productId: 'p-1', quantity: 1 }],
  });
  const outbox = await waitFor(async () => {
    const { rows } = await harness.pool.query('SELECT event_id, published_at FROM outbox');
    return rows.every((row) => row.published_at !== null) && rows;
  });
  assert.deepEqual(
    outbox.map((row) => row.event_id),
    [enqueued.eventId],
  );
  await relay.stop();
  await consumer.stop();
});

test('when enqueueEvent is given invalid data, then it throws InvalidEventError and writes no outbox row', async () => {
  await assert.rejects(
    withTransaction(harness.pool, (tx) =>
      enqueueEvent(tx, shopEvents, 'ORDER_CANCELLED', { orderId: '', userId: 'u-1' }),
    ),
    InvalidEventError,
  );
  const { rows } = await harness.pool.query(
    "SELECT count(*)::int AS n FROM outbox WHERE event_type = 'ORDER_CANCELLED'",
  );
  assert.equal(rows[0].n, 0);
});

test('when events were handled, then /metrics shows them by type and result with the handler duration', async () => {
  const text = await harness.metrics.metrics();
  assert.match(text, /messaging_events_published_total\{[^}]*event_type="ORDER_CREATED"[^}]*\} 1/);
  assert.match(
    text,
    /messaging_events_consumed_total\{[^}]*event_type="ORDER_CREATED",result="ok"[^}]*\} 1/,
  );
  assert.match(
    text,
    /messaging_handler_duration_seconds_count\{[^}]*event_type="INVENTORY_RESERVED",result="ok"[^}]*\} 1/,
  );
  assert.match(text, /# TYPE outbox_pending gauge/);
});

test('when replicas run migrateMessaging at once, then the tables exist once with their own history table', async () => {
  await Promise.all([1, 2, 3].map(() => migrateMessaging(harness.pool)));
  const { rows } = await harness.pool.query(
    `SELECT (SELECT count(*)::int FROM messaging_migrations) AS versions,
            to_regclass('outbox') IS NOT NULL AS outbox,
            to_regclass('inbox') IS NOT NULL AS inbox,
            to_regclass('schema_migrations') IS NULL AS service_history_untouched`,
  );
  assert.deepEqual(rows[0], {
    versions: 2,
    outbox: true,
    inbox: true,
    service_history_untouched: true,
  });
});

test('when a handler enqueues a follow-up event, then it commits with the handler and carries the same correlation id', async () => {
  const rabbit = harness.connect();
  const followUps: EventEnvelope[] = [];
  const reserving = harness.consumer({
    rabbit,
    queue: 'saga-step-one',
    events: ['ORDER_CREATED'],
    handlers: {
      ORDER_CREATED: async (event, tx) => {
        await enqueueEvent(tx, shopEvents, 'INVENTORY_RELEASED', { orderId: event.data.orderId });
      },
    },
  });
  const listening = harness.consumer({
    rabbit,
    queue: 'saga-step-two',
    events: ['INVENTORY_RELEASED'],
    handlers: { INVENTORY_RELEASED: async (event) => void followUps.push(event) },
  });
  const relay = harness.relay({
    rabbit,
    intervalMs: 50,
  });
  await Promise.all([reserving.waitUntilConsuming(), listening.waitUntilConsuming()]);

  await rabbit.publish(
    'ORDER_CREATED',
    {
      orderId: 'o-saga',
      userId: 'u-1',
      items: [{ productId: 'p-1', quantity: 1, unitPrice: 100 }],
      total: 100,
    },
    { correlationId: 'req-saga' },
  );

  await waitFor(() => followUps.length === 1, { what: 'the follow-up event' });
  assert.equal(followUps[0]!.correlationId, 'req-saga');
  assert.deepEqual(followUps[0]!.data, { orderId: 'o-saga' });
  await relay.stop();
  await Promise.all([reserving.stop(), listening.stop()]);
});
