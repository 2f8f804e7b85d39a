import type { ShopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { waitFor } from '@shop/testkit';
import type { RabbitConnection } from '../src';
import { startHarness, type Harness } from './fixtures/harness';

let harness: Harness;
let rabbit: RabbitConnection<ShopEvents>;

before(async () => {
  harness = await startHarness('messaging_inbox');
  rabbit = harness.connect();
  await harness.pool.query(
    'CREATE TABLE stock (product_id text PRIMARY KEY, reserved int NOT NULL DEFAULT 0)',
  );
  await harness.pool.query("INSERT INTO stock (product_id) VALUES ('p-1'), ('p-2')");
});
after(() => harness.cleanUp());

async function consumedCount(result: string): Promise<number> {
  const metric = await harness.metrics.getSingleMetric('messaging_events_consumed_total')!.get();
  return metric.values
    .filter((sample) => sample.labels.result === result)
    .reduce((sum, sample) => sum + sample.value, 0);
}

test('when the same event is delivered three times, then its effect happens once and the copies are acked as duplicates', async () => {
  const consumer = harness.consumer({
    rabbit,
    queue: 'inventory-order-events',
    events: ['INVENTORY_RESERVED'],
    // Several deliveries at once: the copies race each other, not just follow one another.
    prefetch: 10,
    handlers: {
      INVENTORY_RESERVED: async (event, tx) => {
        for (const item of event.data.items) {
          await tx.query('UPDATE stock SET reserved = reserved + $2 WHERE product_id = $1', [
            item.productId,
            item.quantity,
          ]);
        }
      },
    },
  });
  await consumer.waitUntilConsuming();
  const eventId = randomUUID();
  const data = { orderId: 'o-1', items: [{ productId: 'p-1', quantity: 3 }] };

  await Promise.all([1, 2, 3].map(() => rabbit.publish('INVENTORY_RESERVED', data, { eventId })));

  await waitFor(async () => (await consumedCount('duplicate')) === 2, { what: 'two duplicates' });
  assert.equal(await consumedCount('ok'), 1);
  const { rows } = await harness.pool.query("SELECT reserved FROM stock WHERE product_id = 'p-1'");
  assert.equal(rows[0].reserved, 3);
  const inbox = await harness.pool.query('SELECT consumer FROM inbox WHERE event_id = $1', [
    eventId,
  ]);
  assert.deepEqual(inbox.rows, [{ consumer: 'inventory-order-events' }]);
  await consumer.stop();
});

test('when a handler fails after writing, then its writes and the inbox row roll back together and the retry applies the effect once', async () => {
  let calls = 0;
  const consumer = harness.consumer({
    rabbit,
    queue: 'rollback-then-retry',
    events: ['INVENTORY_RESERVED'],
    retryDelaysMs: [50],
    handlers: {
      INVENTORY_RESERVED: async (event, tx) => {
        calls += 1;
        await tx.query("UPDATE stock SET reserved = reserved + 1 WHERE product_id = 'p-2'");
        if (calls === 1) throw new Error('lost the race for a lock');
      },
    },
  });
  await consumer.waitUntilConsuming();
  await rabbit.publish('INVENTORY_RESERVED', {
    orderId: 'o-2',
    items: [{ productId: 'p-2', quantity: 1 }],
  });

  await waitFor(() => calls === 2, { what: 'the retry' });
  await waitFor(async () => {
    const { rows } = await harness.pool.query(
      "SELECT reserved FROM stock WHERE product_id = 'p-2'",
    );
    return rows[0].reserved === 1;
  });
  await consumer.stop();
});

test('when processed events are older than the retention, then the consumer prunes them and keeps the recent ones', async () => {
  const consumerName = 'pruning-consumer-events';
  await harness.pool.query(
    `INSERT INTO inbox (consumer, event_id, event_type, processed_at) VALUES
       ($1, 'old-1', 'INVENTORY_RESERVED', now() - interval '40 days'),
       ($1, 'old-2', 'INVENTORY_RESERVED', now() - interval '31 days'),
       ($1, 'recent', 'INVENTORY_RESERVED', now() - interval '1 day'),
       ('another-consumer', 'old-3', 'INVENTORY_RESERVED', now() - interval '40 days')`,
    [consumerName],
  );
  const consumer = harness.consumer({
    rabbit,
    queue: consumerName,
    events: ['INVENTORY_RESERVED'],
    handlers: { INVENTORY_RESERVED: async () => undefined },
    keepProcessedForMs: 30 * 24 * 60 * 60 * 1000,
    pruneEveryMs: 50,
  });
  try {
    const remaining = await waitFor(
      async () => {
        const { rows } = await harness.pool.query(
          'SELECT consumer, event_id FROM inbox WHERE event_id IN ($1, $2, $3, $4) ORDER BY event_id',
          ['old-1', 'old-2', 'recent', 'old-3'],
        );
        return rows.length === 2 ? rows : undefined;
      },
      { what: 'the old entries of this consumer to be pruned' },
    );
    assert.deepEqual(remaining, [
      { consumer: 'another-consumer', event_id: 'old-3' },
      { consumer: consumerName, event_id: 'recent' },
    ]);
  } finally {
    await consumer.stop();
  }
});
