import { shopEvents } from '@shop/contracts';
import { enqueueEvent } from '@shop/messaging';
import { withTransaction, type Pool } from '@shop/postgres';
import { ConflictError, NotFoundError, type Principal } from '@shop/service-kit';
import { findOrder } from '../db/orders';
import { cancellerOf, mayAccessOrder, type Order } from '../domain/order';
import type { OrderMetrics } from '../metrics';
import { moveOrder } from './move-order';

// Shown to the customer on the order, so in their words.
const CANCEL_REASONS = {
  customer: 'cancelled by the customer',
  admin: 'cancelled by an admin',
} as const;

/**
 * PENDING or CONFIRMED -> CANCELLED, with ORDER_CANCELLED in the same transaction so inventory
 * releases (or never holds) the order's stock. Someone else's order is "not found", never
 * "forbidden": its existence is not the caller's business.
 */
export async function cancelOrder(
  deps: { pool: Pool; orderMetrics: OrderMetrics },
  principal: Principal,
  orderId: string,
): Promise<Order> {
  const result = await withTransaction(deps.pool, async (tx) => {
    const order = await findOrder(tx, orderId);
    if (!order || !mayAccessOrder(principal, order.userId)) throw NotFoundError('No such order');
    const cancelledBy = cancellerOf(principal, order.userId);
    const move = await moveOrder(tx, {
      orderId,
      to: 'CANCELLED',
      reason: CANCEL_REASONS[cancelledBy],
      cancelledBy,
    });
    if (move.kind === 'not-found') throw NotFoundError('No such order');
    if (move.kind === 'refused') {
      throw ConflictError(`The order is ${move.order.status} and can no longer be cancelled`, {
        orderStatus: move.order.status,
      });
    }
    await enqueueEvent(tx, shopEvents, 'ORDER_CANCELLED', { orderId, userId: order.userId });
    return move;
  });
  deps.orderMetrics.orderMoved(result);
  return result.order;
}
