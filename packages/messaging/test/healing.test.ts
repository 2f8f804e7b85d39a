import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { qualify } from '../src';
import { useMessagingSuite } from './fixtures/harness';

const suite = useMessagingSuite('messaging_healing');

test('when an exchange is deleted under the publisher, then the publish that hits it rejects and the next one re-declares it and is confirmed', async () => {
  const exchange = qualify(suite.harness.namespace, 'users');
  await suite.broker.channel.deleteExchange(exchange);

  // RabbitMQ closes the publishing channel with NOT_FOUND; the confirm never comes.
  await assert.rejects(
    suite.rabbit.publish('USER_REGISTERED', { userId: 'u-1', email: 'a@example.com' }),
  );
  await suite.rabbit.publish('USER_REGISTERED', { userId: 'u-2', email: 'b@example.com' });
  const deliveries = await suite.broker.tap(exchange, 'user.registered');
  await suite.rabbit.publish('USER_REGISTERED', { userId: 'u-3', email: 'c@example.com' });

  await waitFor(() => deliveries.length === 1, { what: 'a delivery through the healed exchange' });
  assert.equal(JSON.parse(deliveries[0]!.content.toString()).data.userId, 'u-3');
  assert.equal(suite.rabbit.isConnected(), true);
});

test('when a consumer queue is deleted under it, then the consumer re-declares it and handles the next event', async () => {
  const handled: string[] = [];
  const consumer = suite.harness.consumer({
    rabbit: suite.rabbit,
    queue: 'deleted-under-us',
    events: ['INVENTORY_RELEASED'],
    unavailableDelayMs: 50,
    handlers: { INVENTORY_RELEASED: async (event) => void handled.push(event.data.orderId) },
  });
  await consumer.waitUntilConsuming();
  await suite.broker.channel.deleteQueue(qualify(suite.harness.namespace, 'deleted-under-us'));

  await waitFor(
    async () => {
      await suite.rabbit.publish('INVENTORY_RELEASED', { orderId: 'after-delete' });
      return handled.includes('after-delete');
    },
    { what: 'an event handled on the re-declared queue', intervalMs: 200 },
  );
  await consumer.stop();
});
