import { shopEvents } from '@shop/contracts';
import { enqueueEvent } from '@shop/messaging';
import { withTransaction, type Pool } from '@shop/postgres';
import { startPeriodicTask, type Logger, type PeriodicTask } from '@shop/service-kit';
import { lockStalePendingOrders } from '../db/orders';
import type { OrderMetrics } from '../metrics';
import { moveOrder } from './move-order';

export const EXPIRY_REASON = 'inventory did not answer in time';

export interface ExpirePendingOrdersDeps {
  pool: Pool;
  orderMetrics: OrderMetrics;
}

export interface ExpiryPolicy {
  /** An order PENDING for longer than this is cancelled. */
  timeoutMs: number;
  /** Orders locked and cancelled per transaction. */
  batchSize: number;
}

/**
 * docs/architecture.md, "The order saga": no order is left PENDING. An order whose ORDER_CREATED inventory lost,
 * dead-lettered or never answered is CANCELLED, not REJECTED: ORDER_CANCELLED is the event on which
 * inventory releases a reservation (or remembers the cancel for a late ORDER_CREATED), so no stock
 * stays held whatever inventory did. Goes batch by batch until none is left; returns how many.
 */
export async function expirePendingOrders(
  deps: ExpirePendingOrdersDeps,
  policy: ExpiryPolicy,
): Promise<number> {
  let expired = 0;
  for (;;) {
    const { moves, locked } = await withTransaction(deps.pool, async (tx) => {
      const orderIds = await lockStalePendingOrders(tx, {
        olderThanMs: policy.timeoutMs,
        limit: policy.batchSize,
      });
      const done = [];
      for (const orderId of orderIds) {
        // onlyFrom: the row lock already keeps it PENDING; this states that a CONFIRMED order,
        // which the state machine would let us cancel, is never the sweeper's business.
        const move = await moveOrder(tx, {
          orderId,
          to: 'CANCELLED',
          reason: EXPIRY_REASON,
          cancelledBy: 'system',
          onlyFrom: 'PENDING',
        });
        if (move.kind !== 'moved') continue;
        await enqueueEvent(tx, shopEvents, 'ORDER_CANCELLED', {
          orderId,
          userId: move.order.userId,
        });
        done.push(move);
      }
      return { moves: done, locked: orderIds.length };
    });
    for (const move of moves) {
      deps.orderMetrics.orderMoved(move);
      deps.orderMetrics.orderExpired();
    }
    expired += moves.length;
    if (locked < policy.batchSize) return expired;
  }
}

/**
 * Runs `expirePendingOrders` every `intervalMs`, one sweep at a time. A failed sweep (database down)
 * is tried again at the next tick; the orders wait, they are not lost.
 */
export function startPendingOrderSweeper(
  options: ExpirePendingOrdersDeps & ExpiryPolicy & { logger: Logger; intervalMs: number },
): PeriodicTask {
  const logger = options.logger.child({ component: 'pending-order-sweeper' });
  return startPeriodicTask({
    name: 'pending-order sweeper',
    logger,
    everyMs: options.intervalMs,
    run: async () => {
      const expired = await expirePendingOrders(options, options);
      if (expired > 0) {
        logger.warn({ expired, timeoutMs: options.timeoutMs }, 'cancelled orders left PENDING');
      }
    },
  });
}
