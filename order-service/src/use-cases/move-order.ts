import type { Queryable } from '@shop/postgres';
import type { CancelledBy, Order, OrderRejection } from '../domain/order';
import { canMoveOrder, type OrderStatus } from '../domain/order-status';
import { findOrder, recordStatusChange, updateOrderStatus } from '../db/orders';

export type MoveResult =
  | { kind: 'moved'; order: Order; from: OrderStatus; to: OrderStatus; createdAt: Date; at: Date }
  /** The state machine does not allow the move from the order's current status. */
  | { kind: 'refused'; order: Order }
  | { kind: 'not-found' };

/**
 * The one way an order changes status, for routes and event handlers alike: decide with the state
 * machine, then update only if the status is still the one decided from. If another transaction
 * moved the order in between, read it again and decide again. That loop is short: every lost race
 * means the order moved, and no order makes more than two moves.
 */
export async function moveOrder(
  tx: Queryable,
  request: {
    orderId: string;
    /** Kept in the history; for a cancel also the reason the order shows. */
    reason: string;
    /** Move only from this status (still within the state machine); anything else is refused. */
    onlyFrom?: OrderStatus;
  } & (
    | { to: 'CANCELLED'; cancelledBy: CancelledBy }
    | { to: Exclude<OrderStatus, 'CANCELLED'>; rejection?: OrderRejection }
  ),
): Promise<MoveResult> {
  for (;;) {
    const order = await findOrder(tx, request.orderId);
    if (!order) return { kind: 'not-found' };
    const fromAllowed = request.onlyFrom === undefined || order.status === request.onlyFrom;
    if (!fromAllowed || !canMoveOrder(order.status, request.to)) return { kind: 'refused', order };
    const moved = await updateOrderStatus(tx, {
      id: order.id,
      from: order.status,
      to: request.to,
      ...(request.to === 'CANCELLED'
        ? { cancellation: { by: request.cancelledBy, reason: request.reason } }
        : request.rejection
          ? { rejection: request.rejection }
          : {}),
    });
    if (!moved) continue;
    await recordStatusChange(tx, {
      orderId: order.id,
      from: order.status,
      to: request.to,
      reason: request.reason,
    });
    return {
      kind: 'moved',
      order: moved.order,
      from: order.status,
      to: request.to,
      createdAt: moved.createdAt,
      at: moved.updatedAt,
    };
  }
}
