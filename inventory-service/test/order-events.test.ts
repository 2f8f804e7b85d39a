import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventEnvelope } from '@shop/messaging';
import { createPool, type Pool } from '@shop/postgres';
import { metricValue, waitFor } from '@shop/testkit';
import { assertInventoryInvariant } from './invariant';
import {
  orderCreated,
  outcomeOf,
  startInventoryDatabase,
  startInventoryUnderTest,
  stockOf,
  type InventoryDatabase,
} from './support';

interface Answer {
  eventType: string;
  eventId: string;
  correlationId: string | null;
  data: { orderId: string; reason?: string; shortages?: unknown[]; items?: unknown[] };
}

// The service as main.ts starts it (src/service.ts), against a namespaced
// broker; the test publishes order and product events and listens to the `inventory` exchange.
describe('inventory answering order events over RabbitMQ', () => {
  let db: InventoryDatabase;
  let listenerPool: Pool;
  let inventory: Awaited<ReturnType<typeof startInventoryUnderTest>>;
  const answers: Answer[] = [];
  const putIn: Record<string, number> = {};

  const answersFor = (orderId: string) => answers.filter((a) => a.data.orderId === orderId);
  const answerTo = (orderId: string, eventType?: string) =>
    waitFor(
      () =>
        answersFor(orderId).find(
          (answer) => eventType === undefined || answer.eventType === eventType,
        ),
      { timeoutMs: 10_000, what: `an answer to ${orderId}` },
    );
  const consumed = (eventType: string, result: string) =>
    metricValue(inventory.metrics, 'messaging_events_consumed_total', {
      event_type: eventType,
      result,
    });
  const waitForConsumed = async (eventType: string, result: string, count: number) =>
    waitFor(async () => (await consumed(eventType, result)) >= count, {
      what: `${count} ${eventType} consumed with ${result}`,
    });

  const rowsAbout = async (orderId: string, eventId: string) => {
    const { rows } = await db.pool.query<{ what: string }>(
      `SELECT 'inbox' AS what FROM inbox WHERE event_id = $2
       UNION ALL SELECT 'outcome' FROM order_outcomes WHERE order_id = $1
       UNION ALL SELECT 'answer' FROM outbox WHERE envelope->'data'->>'orderId' = $1
       UNION ALL SELECT 'reservation' FROM reservations WHERE order_id = $1`,
      [orderId, eventId],
    );
    return rows.map((row) => row.what).sort();
  };

  const addProduct = async (productId: string, initialStock: number) => {
    await inventory.publisher.publish('PRODUCT_CREATED', {
      productId,
      sku: `SKU-${productId}`,
      initialStock,
    });
    await waitFor(() => stockOf(db.pool, productId), { what: `stock of ${productId}` });
    putIn[productId] = initialStock;
  };

  before(async () => {
    db = await startInventoryDatabase();
    listenerPool = createPool(db.url, { max: 4 });
    const answer = async (event: EventEnvelope) => void answers.push(event as Answer);
    inventory = await startInventoryUnderTest({
      pool: db.pool,
      // About two seconds of retries: room for a late PRODUCT_CREATED, short for a dead letter.
      retryDelaysMs: [50, 250],
      timings: { relay: { intervalMs: 50 }, consumers: { maxAttempts: 10 } },
      answers: {
        pool: listenerPool,
        handlers: {
          INVENTORY_RESERVED: answer,
          INVENTORY_REJECTED: answer,
          INVENTORY_RELEASED: answer,
        },
      },
    });
  });

  after(async () => {
    await inventory.stop();
    await listenerPool.end();
    await db.close();
  });

  test('when 300 one-unit orders race for 50 units, then exactly 50 are reserved and 250 rejected', async () => {
    await addProduct('hot', 50);
    const reservedBefore = await metricValue(inventory.metrics, 'inventory_reservations_total', {
      result: 'reserved',
    });
    const rejectedBefore = await metricValue(inventory.metrics, 'inventory_reservations_total', {
      result: 'rejected',
    });
    const stockOutsBefore = await metricValue(inventory.metrics, 'inventory_stockouts_total');
    const orders = Array.from({ length: 300 }, () =>
      orderCreated([{ productId: 'hot', quantity: 1 }]),
    );
    const started = Date.now();

    await Promise.all(orders.map((order) => inventory.publisher.publish('ORDER_CREATED', order)));
    const ids = new Set(orders.map((order) => order.orderId));
    await waitFor(() => answers.filter((a) => ids.has(a.data.orderId)).length >= 300, {
      timeoutMs: 20_000,
      what: '300 answers',
    });

    const mine = answers.filter((a) => ids.has(a.data.orderId));
    assert.equal(new Set(mine.map((a) => a.data.orderId)).size, 300, 'one answer per order');
    const reserved = mine.filter((a) => a.eventType === 'INVENTORY_RESERVED');
    const rejected = mine.filter((a) => a.eventType === 'INVENTORY_REJECTED');
    assert.equal(reserved.length, 50);
    assert.equal(rejected.length, 250);
    assert.deepEqual(rejected[0]!.data.shortages, [
      { productId: 'hot', requested: 1, available: 0 },
    ]);
    assert.deepEqual(await stockOf(db.pool, 'hot'), { available: 0, reserved: 50 });
    const { rows } = await db.pool.query<{ available: number; reserved: number }>(
      `SELECT sum(delta_available)::int AS available, sum(delta_reserved)::int AS reserved
       FROM stock_ledger WHERE product_id = 'hot'`,
    );
    assert.deepEqual(rows[0], { available: 0, reserved: 50 }, 'the ledger adds up');
    await assertInventoryInvariant(db.pool, putIn);

    assert.equal(
      (await metricValue(inventory.metrics, 'inventory_reservations_total', {
        result: 'reserved',
      })) - reservedBefore,
      50,
    );
    assert.equal(
      (await metricValue(inventory.metrics, 'inventory_reservations_total', {
        result: 'rejected',
      })) - rejectedBefore,
      250,
    );
    assert.equal(
      (await metricValue(inventory.metrics, 'inventory_stockouts_total')) - stockOutsBefore,
      1,
    );
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  test('when a multi-line order is short on one line, then nothing is reserved and the rejection lists the shortage', async () => {
    await addProduct('shelf', 10);
    await addProduct('rare', 1);
    const order = orderCreated([
      { productId: 'shelf', quantity: 2 },
      { productId: 'rare', quantity: 3 },
    ]);
    await inventory.publisher.publish('ORDER_CREATED', order, { correlationId: 'checkout-42' });

    const answer = await answerTo(order.orderId);
    assert.equal(answer.eventType, 'INVENTORY_REJECTED');
    assert.equal(
      answer.correlationId,
      'checkout-42',
      "the answer carries the order's correlation id",
    );
    assert.deepEqual(answer.data, {
      orderId: order.orderId,
      reason: 'insufficient stock',
      shortages: [{ productId: 'rare', requested: 3, available: 1 }],
    });
    assert.deepEqual(await stockOf(db.pool, 'shelf'), { available: 10, reserved: 0 });
    assert.deepEqual(await stockOf(db.pool, 'rare'), { available: 1, reserved: 0 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when ORDER_CREATED is redelivered with the same event id, then it is reserved once', async () => {
    await addProduct('redelivered', 5);
    const order = orderCreated([{ productId: 'redelivered', quantity: 2 }]);
    const duplicatesBefore = await consumed('ORDER_CREATED', 'duplicate');
    const first = await inventory.publisher.publish('ORDER_CREATED', order);
    assert.equal((await answerTo(order.orderId)).eventType, 'INVENTORY_RESERVED');

    await inventory.publisher.publish('ORDER_CREATED', order, { eventId: first.eventId });
    await waitForConsumed('ORDER_CREATED', 'duplicate', duplicatesBefore + 1);

    assert.deepEqual(await stockOf(db.pool, 'redelivered'), { available: 3, reserved: 2 });
    assert.equal(answersFor(order.orderId).length, 1);
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when the same order comes again with a new event id, then it is not reserved twice', async () => {
    await addProduct('resent', 5);
    const order = orderCreated([{ productId: 'resent', quantity: 2 }]);
    await inventory.publisher.publish('ORDER_CREATED', order);
    assert.equal((await answerTo(order.orderId)).eventType, 'INVENTORY_RESERVED');
    const handledBefore = await consumed('ORDER_CREATED', 'ok');

    await inventory.publisher.publish('ORDER_CREATED', order);
    await waitForConsumed('ORDER_CREATED', 'ok', handledBefore + 1);

    assert.deepEqual(await stockOf(db.pool, 'resent'), { available: 3, reserved: 2 });
    assert.equal(answersFor(order.orderId).length, 1);
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when the cancel arrives before the order, then nothing is held and the order is answered as cancelled', async () => {
    await addProduct('early-cancel', 4);
    const order = orderCreated([{ productId: 'early-cancel', quantity: 1 }]);
    await inventory.publisher.publish('ORDER_CANCELLED', {
      orderId: order.orderId,
      userId: order.userId,
    });
    await waitFor(
      async () => (await outcomeOf(db.pool, order.orderId))?.outcome === 'cancelled_before_reserve',
    );

    await inventory.publisher.publish('ORDER_CREATED', order);
    const answer = await answerTo(order.orderId);
    assert.equal(answer.eventType, 'INVENTORY_REJECTED');
    assert.deepEqual(answer.data, {
      orderId: order.orderId,
      reason: 'order cancelled',
      shortages: [],
    });
    assert.deepEqual(await stockOf(db.pool, 'early-cancel'), { available: 4, reserved: 0 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when a reserved order is cancelled twice, then its stock is released once', async () => {
    await addProduct('cancelled', 6);
    const order = orderCreated([{ productId: 'cancelled', quantity: 4 }]);
    await inventory.publisher.publish('ORDER_CREATED', order);
    assert.equal((await answerTo(order.orderId)).eventType, 'INVENTORY_RESERVED');
    assert.deepEqual(await stockOf(db.pool, 'cancelled'), { available: 2, reserved: 4 });

    const cancel = { orderId: order.orderId, userId: order.userId };
    await inventory.publisher.publish('ORDER_CANCELLED', cancel);
    await answerTo(order.orderId, 'INVENTORY_RELEASED');
    const handledBefore = await consumed('ORDER_CANCELLED', 'ok');
    await inventory.publisher.publish('ORDER_CANCELLED', cancel);
    await waitForConsumed('ORDER_CANCELLED', 'ok', handledBefore + 1);

    assert.deepEqual(await stockOf(db.pool, 'cancelled'), { available: 6, reserved: 0 });
    assert.equal(
      answersFor(order.orderId).filter((a) => a.eventType === 'INVENTORY_RELEASED').length,
      1,
    );
    const { rows } = await db.pool.query(
      `SELECT reason, delta_available, delta_reserved FROM stock_ledger
       WHERE order_id = $1 ORDER BY id`,
      [order.orderId],
    );
    assert.deepEqual(rows, [
      { reason: 'reserve', delta_available: -4, delta_reserved: 4 },
      { reason: 'release', delta_available: 4, delta_reserved: -4 },
    ]);
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when a product is deleted, then a later order of it is rejected with nothing available', async () => {
    await addProduct('withdrawn', 9);
    await inventory.publisher.publish('PRODUCT_DELETED', {
      productId: 'withdrawn',
      sku: 'SKU-withdrawn',
    });
    await waitFor(async () => (await stockOf(db.pool, 'withdrawn'))?.available === 0);
    const order = orderCreated([{ productId: 'withdrawn', quantity: 1 }]);
    await inventory.publisher.publish('ORDER_CREATED', order);

    const answer = await answerTo(order.orderId);
    assert.equal(answer.eventType, 'INVENTORY_REJECTED');
    assert.deepEqual(answer.data.shortages, [
      { productId: 'withdrawn', requested: 1, available: 0 },
    ]);
    putIn.withdrawn = 0;
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when ORDER_CREATED overtakes its PRODUCT_CREATED, then it is retried and reserved once the product arrives', async () => {
    const order = orderCreated([{ productId: 'fresh', quantity: 2 }]);
    const retriedBefore = await consumed('ORDER_CREATED', 'retried');
    const sent = await inventory.publisher.publish('ORDER_CREATED', order);
    await waitForConsumed('ORDER_CREATED', 'retried', retriedBefore + 1);
    assert.deepEqual(
      await rowsAbout(order.orderId, sent.eventId),
      [],
      'a failed attempt leaves no inbox record, outcome, answer or reservation',
    );
    assert.equal(answersFor(order.orderId).length, 0, 'the order is not rejected');

    await addProduct('fresh', 3);
    const answer = await answerTo(order.orderId);
    assert.equal(answer.eventType, 'INVENTORY_RESERVED');
    assert.deepEqual(answer.data, {
      orderId: order.orderId,
      items: [{ productId: 'fresh', quantity: 2 }],
    });
    assert.deepEqual(await outcomeOf(db.pool, order.orderId), {
      outcome: 'reserved',
      reason: null,
    });
    assert.deepEqual(await stockOf(db.pool, 'fresh'), { available: 1, reserved: 2 });
    assert.deepEqual(
      await rowsAbout(order.orderId, sent.eventId),
      ['answer', 'inbox', 'outcome', 'reservation'],
      'one inbox record and one answer once it succeeded',
    );
    assert.equal(answersFor(order.orderId).length, 1);
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when the product never arrives, then the order is dead-lettered after the last attempt, unanswered and holding nothing', async () => {
    const order = orderCreated([{ productId: 'never-created', quantity: 1 }]);
    const deadBefore = await consumed('ORDER_CREATED', 'dead-lettered');
    const sent = await inventory.publisher.publish('ORDER_CREATED', order);
    await waitForConsumed('ORDER_CREATED', 'dead-lettered', deadBefore + 1);

    assert.deepEqual(await rowsAbout(order.orderId, sent.eventId), []);
    assert.equal(answersFor(order.orderId).length, 0);
    assert.equal(await stockOf(db.pool, 'never-created'), undefined);
    await assertInventoryInvariant(db.pool, putIn);
  });
});
