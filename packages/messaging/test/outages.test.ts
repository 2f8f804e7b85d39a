import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPool, withTransaction } from '@shop/postgres';
import { startTcpProxy, testServers, waitFor, type TcpProxy } from '@shop/testkit';
import { BrokerUnavailableError, enqueueEvent, type EventEnvelope } from '../src';
import { startHarness, type Harness } from './fixtures/harness';

let harness: Harness;
let brokerProxy: TcpProxy;

function hostAndPort(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** A pool on the harness database through a TCP proxy the test can cut; `close` ends both. */
async function databaseBehindProxy() {
  const proxy = await startTcpProxy(hostAndPort(harness.database.url));
  const pool = createPool(proxy.wrap(harness.database.url));
  return {
    proxy,
    pool,
    async close() {
      await pool.end();
      await proxy.close();
    },
  };
}

before(async () => {
  harness = await startHarness('messaging_outages');
});
after(async () => {
  await harness.cleanUp();
});

test('when the broker is unreachable, then an outboxed event stays pending and is delivered once it is back, and isConnected follows the outage', async () => {
  brokerProxy = await startTcpProxy(hostAndPort(testServers.rabbitmqUrl));
  const viaProxy = harness.connect({
    url: brokerProxy.wrap(testServers.rabbitmqUrl),
    publishTimeoutMs: 300,
  });
  const direct = harness.connect();
  const received: EventEnvelope[] = [];
  const consumer = harness.consumer({
    rabbit: direct,
    queue: 'outbox-outage',
    events: ['PRODUCT_CREATED'],
    handlers: { PRODUCT_CREATED: async (event) => void received.push(event) },
  });
  await consumer.waitUntilConsuming();
  const relay = harness.relay({
    rabbit: viaProxy,
    intervalMs: 50,
  });
  await viaProxy.waitUntilConnected(5000);

  brokerProxy.cut();
  await waitFor(() => !viaProxy.isConnected(), { what: 'isConnected() to turn false' });
  const enqueued = await withTransaction(harness.pool, (tx) =>
    enqueueEvent(tx, shopEvents, 'PRODUCT_CREATED', {
      productId: 'p-1',
      sku: 'SKU-1',
      initialStock: 5,
    }),
  );
  await assert.rejects(
    viaProxy.publish('PRODUCT_CREATED', { productId: 'p-2', sku: 'SKU-2' }),
    BrokerUnavailableError,
  );
  const pending = await harness.pool.query('SELECT published_at FROM outbox WHERE event_id = $1', [
    enqueued.eventId,
  ]);
  assert.equal(pending.rows[0].published_at, null);
  assert.equal(viaProxy.isConnected(), false);
  assert.equal(received.length, 0);
  const gauge = await harness.metrics.getSingleMetric('outbox_pending')!.get();
  assert.equal(gauge.values[0]!.value, 1);

  brokerProxy.restore();
  await waitFor(() => received.length === 1, {
    what: 'the outboxed event after the outage',
    timeoutMs: 15_000,
  });
  assert.equal(viaProxy.isConnected(), true);
  assert.equal(received[0]!.eventId, enqueued.eventId);
  await waitFor(async () => {
    const { rows } = await harness.pool.query(
      'SELECT published_at FROM outbox WHERE event_id = $1',
      [enqueued.eventId],
    );
    return rows[0].published_at !== null;
  });
  await relay.stop();
  await consumer.stop();
  await brokerProxy.close();
});

test('when the broker connection is closed under a consumer, then it reconnects, re-declares and handles the next event', async () => {
  const proxy = await startTcpProxy(hostAndPort(testServers.rabbitmqUrl));
  const viaProxy = harness.connect({ url: proxy.wrap(testServers.rabbitmqUrl) });
  const publisher = harness.connect();
  const handled: string[] = [];
  const consumer = harness.consumer({
    rabbit: viaProxy,
    queue: 'consumer-reconnect',
    events: ['INVENTORY_RELEASED'],
    handlers: { INVENTORY_RELEASED: async (event) => void handled.push(event.data.orderId) },
  });
  await consumer.waitUntilConsuming();
  await publisher.publish('INVENTORY_RELEASED', { orderId: 'before' });
  await waitFor(() => handled.includes('before'));

  proxy.cut();
  await waitFor(() => !viaProxy.isConnected(), { what: 'the consumer connection to drop' });
  // Published while the consumer is away: the durable queue keeps it.
  await publisher.publish('INVENTORY_RELEASED', { orderId: 'during' });
  proxy.restore();
  await waitFor(() => viaProxy.isConnected(), { what: 'the reconnect', timeoutMs: 15_000 });
  await publisher.publish('INVENTORY_RELEASED', { orderId: 'after' });

  await waitFor(() => handled.includes('during') && handled.includes('after'), {
    what: 'events after the reconnect',
    timeoutMs: 15_000,
  });
  assert.deepEqual([...handled].sort(), ['after', 'before', 'during']);
  await consumer.stop();
  await proxy.close();
});

test('when Postgres is unreachable, then the relay keeps the rows and publishes them once the database is back', async () => {
  const database = await databaseBehindProxy();
  const rabbit = harness.connect();
  const received: EventEnvelope[] = [];
  const consumer = harness.consumer({
    rabbit,
    queue: 'database-outage',
    events: ['USER_REGISTERED'],
    handlers: { USER_REGISTERED: async (event) => void received.push(event) },
  });
  await consumer.waitUntilConsuming();
  database.proxy.cut();
  const relay = harness.relay({
    pool: database.pool,
    rabbit,
    intervalMs: 50,
  });
  const enqueued = await withTransaction(harness.pool, (tx) =>
    enqueueEvent(tx, shopEvents, 'USER_REGISTERED', { userId: 'u-7', email: 'ada@example.com' }),
  );
  const { rows } = await harness.pool.query('SELECT published_at FROM outbox WHERE event_id = $1', [
    enqueued.eventId,
  ]);
  assert.equal(rows[0].published_at, null, 'nothing can be claimed while the database is away');

  database.proxy.restore();
  await waitFor(() => received.length === 1, {
    what: 'the event after the database outage',
    timeoutMs: 15_000,
  });
  assert.equal(received[0]!.eventId, enqueued.eventId);
  await relay.stop();
  await consumer.stop();
  await database.close();
});

test('when the consumer database is unreachable, then events wait without spending attempts and are handled once it is back', async () => {
  const database = await databaseBehindProxy();
  const rabbit = harness.connect();
  let calls = 0;
  const consumer = harness.consumer({
    rabbit,
    pool: database.pool,
    queue: 'consumer-database-outage',
    events: ['ORDER_REJECTED'],
    maxAttempts: 1,
    unavailableDelayMs: 50,
    handlers: { ORDER_REJECTED: async () => void (calls += 1) },
  });
  await consumer.waitUntilConsuming();
  database.proxy.cut();

  const sent = await rabbit.publish('ORDER_REJECTED', {
    orderId: 'o-5',
    userId: 'u-5',
    reason: 'x',
  });
  const held = async () =>
    (await harness.metrics.getSingleMetric('messaging_consumer_held_events')!.get()).values[0]
      ?.value ?? 0;
  await waitFor(async () => (await held()) === 1, { what: 'the event to be held' });
  // With maxAttempts 1 a counted failure would dead-letter it at once; it is held instead, through
  // several tries of the database.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(calls, 0);
  assert.equal(await held(), 1);

  database.proxy.restore();
  await waitFor(() => calls === 1, {
    what: 'the event after the database is back',
    timeoutMs: 15_000,
  });
  // The handler runs before its transaction commits: wait for the commit (nothing held, then the
  // inbox row), not just for the call.
  await waitFor(async () => (await held()) === 0, { what: 'nothing held any more' });
  const inbox = await waitFor(
    async () => {
      const found = await harness.pool.query('SELECT 1 FROM inbox WHERE event_id = $1', [
        sent.eventId,
      ]);
      return found.rowCount === 1 && found;
    },
    { what: 'the inbox row' },
  );
  assert.equal(inbox.rowCount, 1);
  const consumed = await harness.metrics.getSingleMetric('messaging_events_consumed_total')!.get();
  const results = consumed.values
    .filter((sample) => sample.labels.event_type === 'ORDER_REJECTED')
    .map((sample) => [sample.labels.result, sample.value]);
  assert.deepEqual(results, [['ok', 1]], 'handled once, never retried or dead-lettered');
  await consumer.stop();
  await database.close();
});
