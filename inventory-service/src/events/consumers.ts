import { QUEUES, type ShopEvents, type ShopEventType } from '@shop/contracts';
import { inEventContext, startConsumer, type RabbitConnection } from '@shop/messaging';
import type { Pool } from '@shop/postgres';
import type { Logger, MetricsRegistry } from '@shop/service-kit';
import { inventoryMetrics } from '../metrics';
import { releaseOrder } from '../use-cases/release-order';
import { reserveOrders } from '../use-cases/reserve-orders';
import { productCreated, productDeleted } from './product-events';

/**
 * An order for a product whose PRODUCT_CREATED has not arrived yet is retried (`StockNotYetKnown`)
 * rather than rejected, so the retries must outlast a product-service relay that is slow or
 * briefly down: about 13 minutes in all before the order is dead-lettered and order-service's
 * pending-order sweeper cancels it. Changing these for an existing queue means deleting its
 * `.retry.<n>` queues first (see packages/messaging/README.md).
 */
export const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 30_000, 120_000, 600_000];

export interface InventoryConsumerDeps {
  rabbit: RabbitConnection<ShopEvents>;
  pool: Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Most events handled in one transaction. */
  maxBatch?: number;
  /** Handler runs before an event is dead-lettered; one more than the retry delays by default. */
  maxAttempts?: number;
  /** Wait before attempt 2, 3, ...; `DEFAULT_RETRY_DELAYS_MS` unless given (small in tests). */
  retryDelaysMs?: number[];
}

/**
 * Consumes order and product events. Each handler runs in the consumer's transaction, together
 * with the inbox record and any event it answers with, so a redelivery changes nothing.
 */
/** What inventory-service consumes; each is marked consumed in the shop's event catalogue (@shop/contracts). */
export const INVENTORY_CONSUMES = [
  'ORDER_CREATED',
  'ORDER_CANCELLED',
  'PRODUCT_CREATED',
  'PRODUCT_DELETED',
] as const satisfies readonly ShopEventType[];

export function startInventoryConsumers(deps: InventoryConsumerDeps) {
  const counters = inventoryMetrics(deps.metrics);
  return startConsumer({
    rabbit: deps.rabbit,
    pool: deps.pool,
    logger: deps.logger,
    metrics: deps.metrics,
    queue: QUEUES.inventory,
    events: [...INVENTORY_CONSUMES],
    maxBatch: deps.maxBatch,
    maxAttempts: deps.maxAttempts,
    retryDelaysMs: deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    batchHandlers: {
      ORDER_CREATED: async (events, tx) => {
        const results = await reserveOrders(
          tx,
          events.map((event) => ({
            order: event.data,
            correlationId: event.correlationId ?? undefined,
          })),
        );
        results.forEach(({ orderId, result, stockOuts }, index) => {
          // The batch runs in its first event's trace; each line carries its own order's.
          inEventContext(events[index]!, () =>
            deps.logger.info({ orderId, result }, 'order reservation'),
          );
          // Counted before the consumer commits: a commit that fails is retried and may count
          // twice, an acceptable blur for a rate on a dashboard.
          if (result !== 'ignored') counters.reservations.inc({ result });
          counters.stockOuts.inc(stockOuts.length);
        });
      },
    },
    handlers: {
      ORDER_CANCELLED: async (event, tx) => {
        const correlation = { correlationId: event.correlationId ?? undefined };
        const result = await releaseOrder(tx, event.data, correlation);
        deps.logger.info({ orderId: event.data.orderId, result }, 'order cancellation');
      },
      PRODUCT_CREATED: async (event, tx) => {
        await productCreated(tx, event.data);
      },
      PRODUCT_DELETED: async (event, tx) => {
        await productDeleted(tx, event.data);
      },
    },
  });
}
