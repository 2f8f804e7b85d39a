import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTransaction } from '@shop/postgres';
import { createMetricsRegistry } from '@shop/service-kit';
import { waitFor } from '@shop/testkit';
import { enqueueEvent, qualify, UnroutableEventError, type EventEnvelope } from '../src';
import { useMessagingSuite } from './fixtures/harness';

// A namespace of its own: no queue of any earlier test is bound to its exchanges.
const suite = useMessagingSuite('messaging_unroutable');

test('when a consumed event finds no queue, then its publish fails; an announced one is published all the same', async () => {
  const rabbit = suite.harness.connect();
  await rabbit.waitUntilConnected(5000);

  await assert.rejects(
    rabbit.publish('PRODUCT_CREATED', { productId: 'p-1', sku: 'S-1' }),
    UnroutableEventError,
  );
  await rabbit.publish('USER_REGISTERED', { userId: 'u-1', email: 'a@shop.example' });
});

test('when an event is written before its consumer has declared its queue, then the relay keeps it, tries again every interval without backing off, and publishes it once the queue exists', async () => {
  const envelope = await withTransaction(suite.harness.pool, (tx) =>
    enqueueEvent(tx, shopEvents, 'PRODUCT_DELETED', { productId: 'p-2', sku: 'S-2' }),
  );
  const metrics = createMetricsRegistry('unroutable');
  const rabbit = suite.harness.connect({ metrics });
  await rabbit.waitUntilConnected(5000);
  // A backoff doubling from 20 ms would need some 20 s for ten attempts; the interval, 0.2 s.
  const relay = suite.harness.relay({ rabbit, intervalMs: 20, maxBackoffMs: 30_000 });
  try {
    await waitFor(
      async () => {
        const { rows } = await suite.harness.pool.query<{ attempts: number }>(
          'SELECT attempts FROM outbox WHERE published_at IS NULL',
        );
        return (rows[0]?.attempts ?? 0) >= 10;
      },
      { what: 'ten attempts that found no queue, at the pace of the interval', timeoutMs: 5000 },
    );

    const deliveries = await suite.broker.tap(
      qualify(suite.harness.namespace, 'products'),
      'product.deleted',
    );

    await waitFor(() => deliveries.length === 1, { what: 'the event, once a queue takes it' });
    const delivered = JSON.parse(deliveries[0]!.content.toString()) as EventEnvelope;
    assert.equal(delivered.eventId, envelope.eventId);
  } finally {
    await relay.stop();
  }
});
