import assert from 'node:assert/strict';
import { test } from 'node:test';
import amqp from 'amqplib';
import { testServers, waitFor } from '@shop/testkit';
import { DELIVERY_LIMIT, qualify, type Consumer } from '../src';
import { useMessagingSuite } from './fixtures/harness';

const suite = useMessagingSuite('messaging_batches', ({ harness }) =>
  harness.pool.query('CREATE TABLE effects (order_id text NOT NULL)'),
);

/** Starts and stops a consumer once, so its queue exists and events can pile up in it. */
async function declareQueue(queue: string, start: () => Consumer) {
  const consumer = start();
  await consumer.waitUntilConsuming();
  await consumer.stop();
}

async function histogramCount(name: string): Promise<Map<string, number>> {
  const metric = await suite.harness.metrics.getSingleMetric(name)!.get();
  return new Map(
    metric.values
      .filter((sample) => sample.labels.le !== undefined)
      .map((sample) => [String(sample.labels.le), sample.value]),
  );
}

test('when a poison event sits inside a batch, then it is retried alone while the others of the batch commit exactly once', async () => {
  const rabbit = suite.harness.connect();
  const calls = new Map<string, number>();
  const start = () =>
    suite.harness.consumer({
      rabbit,
      queue: 'batch-poison',
      events: ['ORDER_CANCELLED'],
      maxBatch: 20,
      maxAttempts: 2,
      retryDelaysMs: [100],
      batchHandlers: {
        ORDER_CANCELLED: async (events, tx) => {
          for (const event of events) {
            const { orderId } = event.data;
            calls.set(orderId, (calls.get(orderId) ?? 0) + 1);
            await tx.query('INSERT INTO effects (order_id) VALUES ($1)', [orderId]);
            if (orderId === 'poison') throw new Error('this event always fails');
          }
        },
      },
      handlers: {},
    });
  await declareQueue('batch-poison', start);
  const good = Array.from({ length: 9 }, (_, index) => `good-${index}`);
  // The poison in the middle: the events before it wrote their effects in the batch too.
  const orderIds = [...good.slice(0, 4), 'poison', ...good.slice(4)];
  for (const orderId of orderIds)
    await rabbit.publish('ORDER_CANCELLED', { orderId, userId: 'u-1' });

  const consumer = start();
  await waitFor(
    async () => {
      const { rows } = await suite.harness.pool.query(
        "SELECT count(*)::int AS n FROM effects WHERE order_id <> 'poison'",
      );
      return rows[0].n === good.length;
    },
    { what: 'every good effect' },
  );
  const dead = qualify(rabbit.namespace, 'batch-poison.dead');
  const [deadMessage] = await waitFor(
    async () => {
      const messages = await suite.broker.drain(dead);
      return messages.length > 0 && messages;
    },
    { what: 'the poison in .dead' },
  );

  assert.equal(JSON.parse(deadMessage!.content.toString()).data.orderId, 'poison');
  assert.equal(deadMessage!.properties.headers?.['x-death-reason'], 'max-attempts');
  const { rows } = await suite.harness.pool.query(
    'SELECT order_id, count(*)::int AS n FROM effects GROUP BY order_id ORDER BY order_id',
  );
  assert.deepEqual(
    rows,
    good.map((orderId) => ({ order_id: orderId, n: 1 })),
    'each good effect committed once, the poison never',
  );
  // Where the batches split depends on how the deliveries arrived (the first may start a
  // transaction of its own): a good event before the poison in its batch ran there, rolled back,
  // and once more alone, one after it only alone; neither ever committed twice (above).
  const buckets = await histogramCount('messaging_consumer_batch_size');
  assert.ok((buckets.get('5') ?? 0) < (buckets.get('+Inf') ?? 0), 'a batch of more than five');
  for (const orderId of good) assert.ok([1, 2].includes(calls.get(orderId) ?? 0), orderId);
  // Its run in the batch if it shared one, its run alone, and its retry alone.
  assert.ok([2, 3].includes(calls.get('poison') ?? 0), `poison ran ${calls.get('poison')} times`);
  await consumer.stop();
});

test('when events arrive faster than one transaction, then they are handled in delivery order, each type by its own handler', async () => {
  const rabbit = suite.harness.connect();
  const seen: string[][] = [];
  const start = () =>
    suite.harness.consumer({
      rabbit,
      queue: 'batch-order',
      events: ['ORDER_CANCELLED', 'INVENTORY_RELEASED'],
      maxBatch: 50,
      batchHandlers: {
        ORDER_CANCELLED: async (events) => void seen.push(events.map((e) => e.data.orderId)),
      },
      handlers: {
        INVENTORY_RELEASED: async (event) => void seen.push([`released:${event.data.orderId}`]),
      },
    });
  await declareQueue('batch-order', start);
  await rabbit.publish('ORDER_CANCELLED', { orderId: 'a', userId: 'u' });
  await rabbit.publish('ORDER_CANCELLED', { orderId: 'b', userId: 'u' });
  await rabbit.publish('INVENTORY_RELEASED', { orderId: 'c' });
  await rabbit.publish('ORDER_CANCELLED', { orderId: 'd', userId: 'u' });

  const consumer = start();
  await waitFor(() => seen.flat().length === 4, { what: 'all four events' });
  assert.deepEqual(seen.flat(), ['a', 'b', 'released:c', 'd']);
  assert.ok(
    seen.every((run) => run.length === 1 || run.every((id) => !id.startsWith('released'))),
    'a batch handler only ever gets its own type',
  );
  await consumer.stop();
});

test('when a consumer declares its queue, then it is a quorum queue whose delivery limit dead-letters to .dead', async () => {
  const rabbit = suite.harness.connect();
  const consumer = suite.harness.consumer({
    rabbit,
    queue: 'batch-quorum',
    events: ['ORDER_CANCELLED'],
    handlers: { ORDER_CANCELLED: async () => undefined },
  });
  await consumer.waitUntilConsuming();
  const queue = qualify(rabbit.namespace, 'batch-quorum');
  const connection = await amqp.connect(testServers.rabbitmqUrl);
  connection.on('error', () => undefined);
  // Redeclaring with other arguments is refused by the broker (and the channel closed): that is
  // what proves the type and arguments the consumer declared.
  const refused = await connection.createChannel();
  refused.on('error', () => undefined);
  await assert.rejects(refused.assertQueue(queue, { durable: true }), /PRECONDITION_FAILED/);
  const accepted = await connection.createChannel();
  await accepted.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': `${queue}.dead`,
    },
  });
  await connection.close();
  await consumer.stop();
});
