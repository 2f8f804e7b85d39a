import {
  PermanentFailure,
  startConsumer,
  type Consumer,
  type RabbitConnection,
} from '@shop/messaging';
import type { Pool, Queryable } from '@shop/postgres';
import type { Logger, MetricsRegistry } from '@shop/service-kit';
import { findOrder, recordStatusChange } from '../db/orders';
import type { OrderStatus } from '../domain/order-status';
import type { OrderMetrics } from '../metrics';
import { settleOrder, type InventoryOutcome } from '../use-cases/settle-order';

export const ORDER_INVENTORY_QUEUE = 'order-inventory-events';

export interface OrderConsumersDeps {
  rabbit: RabbitConnection;
  pool: Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  orderMetrics: OrderMetrics;
  /** Small values in tests; the messaging defaults otherwise. */
  retryDelaysMs?: number[];
  maxAttempts?: number;
}

/**
 * Inventory's answers to our orders. Each handler runs in the consumer's transaction with the inbox
 * record, so a redelivered event changes nothing and follow-up events leave through the outbox.
 */
export function startOrderConsumers(deps: OrderConsumersDeps): Consumer {
  const { logger } = deps;

  async function settle(tx: Queryable, orderId: string, outcome: InventoryOutcome) {
    const target: OrderStatus = outcome.kind === 'reserved' ? 'CONFIRMED' : 'REJECTED';
    const result = await settleOrder(tx, deps.orderMetrics, orderId, outcome);
    if (result.kind === 'moved') return;
    if (result.kind === 'not-found') {
      throw new PermanentFailure(`Inventory answered for order ${orderId}, which does not exist`);
    }
    const current = result.order.status;
    // Cancel won the race: the order stays CANCELLED. inventory-service releases any stock it
    // reserved when it sees ORDER_CANCELLED, so there is nothing for us to undo or retry.
    if (current === 'CANCELLED' || current === target) {
      logger.info({ orderId, status: current, outcome: outcome.kind }, 'order already settled');
      return;
    }
    // Inventory contradicting itself (reserved after rejected, or the reverse) is a bug to look
    // at, not something a retry fixes: dead-letter it.
    throw new PermanentFailure(
      `Order ${orderId} is ${current}; inventory now says ${outcome.kind}, which cannot apply`,
    );
  }

  return startConsumer({
    rabbit: deps.rabbit,
    pool: deps.pool,
    logger,
    metrics: deps.metrics,
    queue: ORDER_INVENTORY_QUEUE,
    events: ['INVENTORY_RESERVED', 'INVENTORY_REJECTED', 'INVENTORY_RELEASED'],
    ...(deps.retryDelaysMs ? { retryDelaysMs: deps.retryDelaysMs } : {}),
    ...(deps.maxAttempts ? { maxAttempts: deps.maxAttempts } : {}),
    handlers: {
      INVENTORY_RESERVED: (event, tx) => settle(tx, event.data.orderId, { kind: 'reserved' }),
      INVENTORY_REJECTED: (event, tx) =>
        settle(tx, event.data.orderId, {
          kind: 'rejected',
          rejection: { reason: event.data.reason, shortages: event.data.shortages },
        }),
      // Informational: the order's status does not change, but its history shows the release.
      INVENTORY_RELEASED: async (event, tx) => {
        const order = await findOrder(tx, event.data.orderId);
        if (!order) return;
        await recordStatusChange(tx, {
          orderId: order.id,
          from: order.status,
          to: order.status,
          reason: 'inventory released the reserved stock',
        });
      },
    },
  });
}
