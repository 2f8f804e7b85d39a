import { QUEUES, shopEvents } from '@shop/contracts';
import { randomUUID } from 'node:crypto';
import {
  connectRabbit,
  messagingMetrics,
  migrateMessaging,
  startConsumer,
  startOutboxRelay,
  type EventEnvelope,
} from '@shop/messaging';
import { createPool, migrate, withTransaction } from '@shop/postgres';
import { createLogger, createMetricsRegistry, type MetricsRegistry } from '@shop/service-kit';
import { brokerNamespace, createTestDatabase, testServers } from '@shop/testkit';
import { MIGRATION_LOCK_KEY, migrations } from '../inventory-service/src/db/migrations';
import { startInventoryConsumers } from '../inventory-service/src/events/consumers';
import { productCreated } from '../inventory-service/src/events/product-events';
import {
  latencyRow,
  LATENCY_HEADER,
  ms,
  onCleanup,
  perSecond,
  printTable,
  progress,
  runPool,
  seconds,
  type Benchmark,
} from './support';

const ORDERS = 1000;
const HOT_PRODUCTS = 20;
// Orders kept in flight: enough that the consumer's batches fill (it takes up to 50 at once).
const IN_FLIGHT = 200;
const STOCK_PER_PRODUCT = 10_000;

/**
 * Mean time the inventory consumer spent on one ORDER_CREATED (its transaction: inbox, locks,
 * reservation, outbox), from the messaging handler histogram, to tell database time from broker
 * round trips.
 */
async function meanHandlerMs(metrics: MetricsRegistry): Promise<number> {
  const histogram = await messagingMetrics(metrics).handlerDuration.get();
  const ours = histogram.values.filter((sample) => sample.labels.event_type === 'ORDER_CREATED');
  const total = (suffix: string) =>
    ours
      .filter((sample) => sample.metricName === `messaging_handler_duration_seconds_${suffix}`)
      .reduce((sum, sample) => sum + sample.value, 0);
  return (total('sum') / total('count')) * 1000;
}

export const reservation: Benchmark = {
  name: 'reservation',
  measures: `${ORDERS} ORDER_CREATED events over ${HOT_PRODUCTS} hot products, through RabbitMQ, answered by the in-process inventory consumer`,
  async run() {
    const logger = createLogger({ service: 'bench-inventory', level: 'warn' });
    const metrics = createMetricsRegistry('bench-inventory');
    const broker = brokerNamespace('bench');
    const { namespace } = broker;
    const database = await createTestDatabase('bench_reservation');
    onCleanup('drop the database', () => database.drop());

    // The inventory service's own wiring (see inventory-service/src/main.ts), in this process.
    const pool = createPool(database.url, { max: 20 });
    onCleanup('close the inventory pool', () => pool.end());
    await migrate(pool, migrations, { lockKey: MIGRATION_LOCK_KEY });
    await migrateMessaging(pool);
    const rabbit = connectRabbit({
      catalog: shopEvents,
      url: testServers.rabbitmqUrl,
      namespace,
      logger,
      metrics,
    });
    onCleanup('close the inventory connection', () => rabbit.close());
    await rabbit.waitUntilConnected(10_000);
    broker.queue(QUEUES.inventory);
    onCleanup('delete the RabbitMQ queues and exchanges', () => broker.delete());
    const relay = startOutboxRelay({ pool, rabbit, logger, metrics });
    onCleanup('stop the outbox relay', () => relay.stop());
    const consumer = startInventoryConsumers({ rabbit, pool, logger, metrics });
    onCleanup('stop the inventory consumer', () => consumer.stop());

    // Stands in for order-service: publishes ORDER_CREATED and listens for the answers.
    const orderSide = createPool(database.url, { max: 5 });
    onCleanup('close the order-side pool', () => orderSide.end());
    const answered = new Map<string, (outcome: string) => void>();
    const answer = (event: EventEnvelope<{ orderId: string }>) => {
      answered.get(event.data.orderId)?.(event.eventType);
      answered.delete(event.data.orderId);
      return Promise.resolve();
    };
    const answers = startConsumer({
      rabbit,
      pool: orderSide,
      logger,
      metrics,
      queue: broker.queue('bench-inventory-answers'),
      events: ['INVENTORY_RESERVED', 'INVENTORY_REJECTED'],
      prefetch: 50,
      handlers: { INVENTORY_RESERVED: answer, INVENTORY_REJECTED: answer },
    });
    onCleanup('stop the answer consumer', () => answers.stop());
    await Promise.all([consumer.waitUntilConsuming(10_000), answers.waitUntilConsuming(10_000)]);

    const products = Array.from({ length: HOT_PRODUCTS }, () => randomUUID());
    await withTransaction(pool, async (tx) => {
      for (const productId of products)
        await productCreated(tx, {
          productId,
          sku: `SKU-${productId}`,
          initialStock: STOCK_PER_PRODUCT,
        });
    });

    const latencies: number[] = [];
    const outcomes = new Map<string, number>();
    const run = await runPool({
      total: ORDERS,
      concurrency: IN_FLIGHT,
      deadlineMs: 45_000,
      onProgress: progress('answered', 'orders', ORDERS),
      async task(index) {
        const orderId = randomUUID();
        const line = { productId: products[index % HOT_PRODUCTS]!, quantity: 1, unitPrice: 500 };
        const started = performance.now();
        const outcome = new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no answer for ${orderId}`)), 20_000);
          answered.set(orderId, (type) => {
            clearTimeout(timer);
            resolve(type);
          });
        });
        await rabbit.publish('ORDER_CREATED', {
          orderId,
          userId: 'bench-customer',
          items: [line],
          total: line.unitPrice,
        });
        const type = await outcome;
        latencies.push(performance.now() - started);
        outcomes.set(type, (outcomes.get(type) ?? 0) + 1);
      },
    });

    const { rows } = await pool.query<{ available: string; reserved: string }>(
      'SELECT sum(available) AS available, sum(reserved) AS reserved FROM stock',
    );
    const totals = rows[0]!;
    printTable(
      `reservation: ${run.completed} one-line orders over ${HOT_PRODUCTS} products, ${IN_FLIGHT} in flight, batches of up to 50`,
      ['figure', 'value'],
      [
        ['events handled', perSecond(run.completed, run.elapsedMs)],
        ['took', seconds(run.elapsedMs)],
        ['inventory handler, mean', ms(await meanHandlerMs(metrics))],
        ['answers', [...outcomes].map(([type, count]) => `${count} ${type}`).join(', ')],
        [
          'stock after',
          `${totals.available} available + ${totals.reserved} reserved = ${
            Number(totals.available) + Number(totals.reserved)
          } (put in ${HOT_PRODUCTS * STOCK_PER_PRODUCT})`,
        ],
      ],
    );
    printTable('', LATENCY_HEADER, [latencyRow('publish -> inventory answer received', latencies)]);
  },
};
