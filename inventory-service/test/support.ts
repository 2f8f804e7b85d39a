import { QUEUES, type ShopEvents, type ShopEventType } from '@shop/contracts';
import { startConsumer, type EventHandlers, type RabbitConnection } from '@shop/messaging';
import type { Pool } from '@shop/postgres';
import { createLogger, createMetricsRegistry, type LogLevel } from '@shop/service-kit';
import {
  brokerNamespace,
  createOutboxTestDatabase,
  TEST_JWT_SECRET,
  testServers,
  type OutboxTestDatabase,
} from '@shop/testkit';
import { MIGRATION_LOCK_KEY, migrations } from '../src/db/migrations';
import { startInventoryService, type InventoryTimings } from '../src/service';

export const testLogger = () =>
  createLogger({
    service: 'inventory-service',
    level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'silent',
  });

export type InventoryDatabase = OutboxTestDatabase;

/** A fresh `inventory` database for one suite, migrated like main.ts does. */
export const startInventoryDatabase = (): Promise<InventoryDatabase> =>
  createOutboxTestDatabase('inventory', { migrations, lockKey: MIGRATION_LOCK_KEY });

/**
 * inventory-service as main.ts starts it (src/service.ts), in a broker namespace of its own, with
 * a second connection the test publishes on and, if asked, a queue of its own hearing the
 * service's answers. `stop` ends all of it and deletes the namespace's topology; the pools are
 * the caller's.
 */
export async function startInventoryUnderTest(options: {
  pool: Pool;
  /** The service's broker: a TCP proxy's URL, to cut it. */
  rabbitmqUrl?: string;
  retryDelaysMs?: number[];
  timings?: InventoryTimings;
  /** The service's answers, handled over the test's pool (not the service's). */
  answers?: { pool: Pool; handlers: EventHandlers<ShopEvents> };
}) {
  const broker = brokerNamespace('inventory');
  const logger = testLogger();
  const metrics = createMetricsRegistry('inventory-service');
  const testMetrics = createMetricsRegistry('inventory-test');
  const rabbit = broker.connect(
    { logger, metrics },
    { url: options.rabbitmqUrl ?? testServers.rabbitmqUrl, maxReconnectDelayMs: 200 },
  );
  const publisher = broker.connect({ logger, metrics: testMetrics });
  await Promise.all([rabbit.waitUntilConnected(10_000), publisher.waitUntilConnected(10_000)]);
  broker.queue(QUEUES.inventory);
  const listener =
    options.answers &&
    startConsumer({
      rabbit: publisher,
      pool: options.answers.pool,
      logger,
      metrics: testMetrics,
      queue: broker.queue('test-inventory-answers'),
      events: Object.keys(options.answers.handlers) as ShopEventType[],
      prefetch: 50,
      handlers: options.answers.handlers,
    });
  const service = startInventoryService(
    { JWT_SECRET: TEST_JWT_SECRET, CONSUMER_RETRY_DELAYS_MS: options.retryDelaysMs },
    { pool: options.pool, rabbit },
    { logger, metrics },
    options.timings,
  );
  // Publishing before the queues are bound would route the first events nowhere.
  await Promise.all([service.waitUntilConsuming(), listener?.waitUntilConsuming()]);
  return {
    service,
    metrics,
    /** The test's own connection, to publish the events inventory consumes. */
    publisher: publisher as Pick<RabbitConnection<ShopEvents>, 'publish'>,
    async stop() {
      await service.stop();
      await listener?.stop();
      await rabbit.close();
      await publisher.close();
      await broker.delete();
    },
  };
}

export async function stockOf(pool: Pool, productId: string) {
  const { rows } = await pool.query<{ available: number; reserved: number }>(
    'SELECT available, reserved FROM stock WHERE product_id = $1',
    [productId],
  );
  return rows[0];
}

export async function outcomeOf(pool: Pool, orderId: string) {
  const { rows } = await pool.query<{ outcome: string; reason: string | null }>(
    'SELECT outcome, reason FROM order_outcomes WHERE order_id = $1',
    [orderId],
  );
  return rows[0];
}

let orderNumber = 0;

/** An ORDER_CREATED payload for the given lines (prices do not matter to inventory). */
export function orderCreated(lines: { productId: string; quantity: number }[], orderId?: string) {
  orderNumber += 1;
  return {
    orderId: orderId ?? `order-${process.pid}-${orderNumber}`,
    userId: 'user-1',
    items: lines.map((line) => ({ ...line, unitPrice: 100 })),
    total: lines.reduce((sum, line) => sum + line.quantity * 100, 0),
  };
}
