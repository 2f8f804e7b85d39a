import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { qualify, startConsumer, type RabbitConnection } from '../src';
import { openRawBroker, type RawBroker } from './fixtures/broker';
import { logger, startHarness, type Harness } from './fixtures/harness';

let harness: Harness;
let rabbit: RabbitConnection;
let broker: RawBroker;

before(async () => {
  harness = await startHarness('messaging_healing');
  rabbit = harness.connect();
  broker = await openRawBroker();
  await rabbit.waitUntilConnected(5000);
});
after(async () => {
  await broker.close();
  await harness.cleanUp();
});

test('when an exchange is deleted under the publisher, then the publish that hits it rejects and the next one re-declares it and is confirmed', async () => {
  const exchange = qualify(harness.namespace, 'users');
  await broker.channel.deleteExchange(exchange);

  // RabbitMQ closes the publishing channel with NOT_FOUND; the confirm never comes.
  await assert.rejects(
    rabbit.publish('USER_REGISTERED', { userId: 'u-1', email: 'a@example.com' }),
  );
  await rabbit.publish('USER_REGISTERED', { userId: 'u-2', email: 'b@example.com' });
  const deliveries = await broker.tap(exchange, 'user.registered');
  await rabbit.publish('USER_REGISTERED', { userId: 'u-3', email: 'c@example.com' });

  await waitFor(() => deliveries.length === 1, { what: 'a delivery through the healed exchange' });
  assert.equal(JSON.parse(deliveries[0]!.content.toString()).data.userId, 'u-3');
  assert.equal(rabbit.isConnected(), true);
});

test('when a consumer queue is deleted under it, then the consumer re-declares it and handles the next event', async () => {
  const handled: string[] = [];
  const consumer = startConsumer({
    rabbit,
    pool: harness.pool,
    logger,
    metrics: harness.metrics,
    queue: 'deleted-under-us',
    events: ['INVENTORY_RELEASED'],
    unavailableDelayMs: 50,
    handlers: { INVENTORY_RELEASED: async (event) => void handled.push(event.data.orderId) },
  });
  await consumer.waitUntilConsuming();
  await broker.channel.deleteQueue(qualify(harness.namespace, 'deleted-under-us'));

  await waitFor(
    async () => {
      await rabbit.publish('INVENTORY_RELEASED', { orderId: 'after-delete' });
      return handled.includes('after-delete');
    },
    { what: 'an event handled on the re-declared queue', intervalMs: 200 },
  );
  await consumer.stop();
});
