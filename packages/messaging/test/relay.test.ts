import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPool, withTransaction } from '@shop/postgres';
import { createMetricsRegistry, runWithRequestContext } from '@shop/service-kit';
import { waitFor } from '@shop/testkit';
import { enqueueEvent, qualify, startOutboxRelay, type EventEnvelope } from '../src';
import { logger, useMessagingSuite } from './fixtures/harness';

const suite = useMessagingSuite('messaging_relay');

/** What reaches the suite's namespaced `exchange` under `routingKey`, from now on. */
const tapEvents = (exchange: string, routingKey: string) =>
  suite.broker.tap(qualify(suite.harness.namespace, exchange), routingKey);

function deliveredIds(messages: { content: Buffer }[]): string[] {
  return messages.map(
    (message) => (JSON.parse(message.content.toString()) as EventEnvelope).eventId,
  );
}

async function gaugeValue(registry: ReturnType<typeof createMetricsRegistry>, name: string) {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, sample) => sum + sample.value, 0);
}

test('when two relays run at once over 200 rows, then each row is published exactly once', async () => {
  const deliveries = await tapEvents('orders', 'order.cancelled');
  const replicas = [1, 2].map(() => {
    const metrics = createMetricsRegistry('replica');
    const pool = createPool(suite.harness.database.url);
    const rabbit = suite.harness.connect({ metrics });
    const relay = startOutboxRelay({
      pool,
      rabbit,
      logger,
      metrics,
      intervalMs: 20,
      batchSize: 20,
    });
    return { metrics, pool, relay };
  });

  const enqueued = await withTransaction(suite.harness.pool, async (tx) => {
    const ids: string[] = [];
    for (let index = 0; index < 200; index += 1) {
      const envelope = await enqueueEvent(tx, shopEvents, 'ORDER_CANCELLED', {
        orderId: `o-${index}`,
        userId: 'u-1',
      });
      ids.push(envelope.eventId);
    }
    return ids;
  });

  await waitFor(
    async () => {
      const { rows } = await suite.harness.pool.query(
        'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
      );
      return rows[0].n === 0;
    },
    { what: 'every row marked sent', timeoutMs: 20_000 },
  );
  await waitFor(() => deliveries.length >= 200, { what: '200 deliveries' });
  for (const replica of replicas) await replica.relay.stop();

  const counts = new Map<string, number>();
  for (const id of deliveredIds(deliveries)) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(deliveries.length, 200);
  assert.deepEqual([...counts.keys()].sort(), [...enqueued].sort());
  assert.ok([...counts.values()].every((count) => count === 1));
  const published = await Promise.all(
    replicas.map((replica) => gaugeValue(replica.metrics, 'messaging_events_published_total')),
  );
  assert.equal(published[0]! + published[1]!, 200);
  await Promise.all(replicas.map((replica) => replica.pool.end()));
});

test('when events were enqueued while no relay ran, then a relay started later publishes them in order', async () => {
  const deliveries = await tapEvents('products', 'product.*');
  const enqueued: string[] = [];
  for (let index = 0; index < 5; index += 1) {
    await withTransaction(suite.harness.pool, async (tx) => {
      const envelope = await enqueueEvent(tx, shopEvents, 'PRODUCT_DELETED', {
        productId: `p-${index}`,
        sku: `S-${index}`,
      });
      enqueued.push(envelope.eventId);
    });
  }
  const metrics = createMetricsRegistry('restarted');
  const rabbit = suite.harness.connect({ metrics });
  await rabbit.waitUntilConnected(5000);
  const relay = startOutboxRelay({
    pool: suite.harness.pool,
    rabbit,
    logger,
    metrics,
    intervalMs: 20,
  });

  await waitFor(() => deliveries.length === 5, { what: 'the backlog' });
  assert.deepEqual(deliveredIds(deliveries), enqueued);
  const [first] = deliveries;
  assert.equal(first!.properties.messageId, enqueued[0]);
  assert.equal(first!.properties.type, 'PRODUCT_DELETED');
  assert.equal(first!.properties.contentType, 'application/json');
  assert.equal(first!.properties.deliveryMode, 2, 'persistent');
  await waitFor(async () => (await gaugeValue(metrics, 'outbox_pending')) === 0);
  await relay.stop();
});

test('when a request enqueues an event, then the envelope carries its correlation id into the AMQP properties', async () => {
  const deliveries = await tapEvents('users', 'user.registered');
  const rabbit = suite.harness.connect();
  const relay = suite.harness.relay({
    rabbit,
    intervalMs: 20,
  });
  const envelope = await runWithRequestContext({ requestId: 'req-42' }, () =>
    withTransaction(suite.harness.pool, (tx) =>
      enqueueEvent(tx, shopEvents, 'USER_REGISTERED', {
        userId: 'u-42',
        email: 'grace@example.com',
      }),
    ),
  );
  await waitFor(() => deliveries.length === 1);
  assert.equal(envelope.correlationId, 'req-42');
  assert.equal(deliveries[0]!.properties.correlationId, 'req-42');
  assert.equal(JSON.parse(deliveries[0]!.content.toString()).correlationId, 'req-42');
  await relay.stop();
});

test('when this process commits an event, then its relay, polling only every minute, publishes it at once', async () => {
  const deliveries = await tapEvents('orders', 'order.confirmed');
  const rabbit = suite.harness.connect();
  await rabbit.waitUntilConnected(5000);
  const relay = suite.harness.relay({
    rabbit,
    intervalMs: 60_000,
  });
  for (const orderId of ['o-a', 'o-b']) {
    await withTransaction(suite.harness.pool, (tx) =>
      enqueueEvent(tx, shopEvents, 'ORDER_CONFIRMED', { orderId, userId: 'u-1' }),
    );
    await waitFor(() => deliveries.some((message) => message.content.includes(orderId)), {
      what: `${orderId} long before the next poll`,
      timeoutMs: 5000,
    });
  }
  await relay.stop();
});

test('when sent rows are older than the retention, then the relay deletes them and keeps the recent ones', async () => {
  await suite.harness.pool.query('DELETE FROM outbox');
  await suite.harness.pool.query(
    `INSERT INTO outbox (event_id, event_type, envelope, published_at) VALUES
       ('old-sent', 'ORDER_CONFIRMED', '{}', now() - interval '8 days'),
       ('recent-sent', 'ORDER_CONFIRMED', '{}', now() - interval '1 day')`,
  );
  const rabbit = suite.harness.connect();
  await rabbit.waitUntilConnected(5000);
  const relay = suite.harness.relay({
    rabbit,
  });

  const remaining = await waitFor(
    async () => {
      const { rows } = await suite.harness.pool.query('SELECT event_id FROM outbox');
      return rows.length === 1 && rows;
    },
    { what: 'the old row pruned' },
  );
  assert.deepEqual(remaining, [{ event_id: 'recent-sent' }]);
  await relay.stop();
});
