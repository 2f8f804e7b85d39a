import { QUEUES, type ShopEvents, type ShopEventType } from '@shop/contracts';
import {
  inEventContext,
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
import { settleOrders, type InventoryOutcome } from '../use-cases/settle-order';

export interface OrderConsumersDeps {
  rabbit: RabbitConnection<ShopEvents>;
  pool: Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  orderMetrics: OrderMetrics;
  /** Small values in tests; the messaging defaults otherwise. */
  retryDelaysMs?: number[];
  maxAttempts?: number;
}

/** What order-service consumes; each is marked consumed in the shop's event catalogue (@shop/contracts). */
export const ORDER_SERVICE_CONSUMES = [
  'INVENTORY_RESERVED',
  'INVENTORY_REJECTED',
  'INVENTORY_RELEASED',
] as const satisfies readonly ShopEventType[];

/**
 * Inventory's answers to our orders. Each handler runs in the consumer's transaction with the inbox
 * record, so a redelivered event changes nothing and follow-up events leave through the outbox.
 */
export function startOrderConsumers(deps: OrderConsumersDeps): Consumer {
  const { logger } = deps;

  async function settle(
    tx: Queryable,
    events: ReadonlyArray<{ correlationId: string | null; orderId: string }>,
    outcomeOf: (index: number) => InventoryOutcome,
  ) {
    const answers = events.map(({ orderId, correlationId }, index) => ({
      orderId,
      outcome: outcomeOf(index),
      ...(correlationId ? { correlationId } : {}),
    }));
    const results = await settleOrders(tx, deps.orderMetrics, answers);
    for (const [index, result] of results.entries()) {
      if (result.kind === 'moved') continue;
      const { orderId } = result;
      const outcome = answers[index]!.outcome;
      const target: OrderStatus = outcome.kind === 'reserved' ? 'CONFIRMED' : 'REJECTED';
      if (result.current === undefined) {
        throw new PermanentFailure(`Inventory answered for order ${orderId}, which does not exist`);
      }
      // Cancel won the race: the order stays CANCELLED. inventory-service releases any stock it
      // reserved when it sees ORDER_CANCELLED, so there is nothing for us to undo or retry.
      if (result.current === 'CANCELLED' || result.current === target) {
        // The batch runs in its first event's trace; the line carries this order's.
        inEventContext(events[index]!, () =>
          logger.info(
            { orderId, status: result.current, outcome: outcome.kind },
            'order already settled',
          ),
        );
        continue;
      }
      // Inventory contradicting itself (reserved after rejected, or the reverse) is a bug to
      // look at, not something a retry fixes: dead-letter it (the batch is replayed event by
      // event, so only this one is).
      throw new PermanentFailure(
        `Order ${orderId} is ${result.current}; inventory now says ${outcome.kind}, which cannot apply`,
      );
    }
  }

  return startConsumer({
    rabbit: deps.rabbit,
    pool: deps.pool,
    logger,
    metrics: deps.metrics,
    queue: QUEUES.orders,
    events: [...ORDER_SERVICE_CONSUMES],
    ...(deps.retryDelaysMs ? { retryDelaysMs: deps.retryDelaysMs } : {}),
    ...(deps.maxAttempts ? { maxAttempts: deps.maxAttempts } : {}),
    batchHandlers: {
      INVENTORY_RESERVED: (events, tx) =>
        settle(
          tx,
          events.map((event) => ({ ...event, orderId: event.data.orderId })),
          () => ({ kind: 'reserved' }),
        ),
      INVENTORY_REJECTED: (events, tx) =>
        settle(
          tx,
          events.map((event) => ({ ...event, orderId: event.data.orderId })),
          (index) => ({
            kind: 'rejected',
            rejection: {
              reason: events[index]!.data.reason,
              shortages: events[index]!.data.shortages,
            },
          }),
        ),
    },
    handlers: {
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
