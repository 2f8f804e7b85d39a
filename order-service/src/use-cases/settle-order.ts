import { enqueueEvent } from '@shop/messaging';
import type { Queryable } from '@shop/postgres';
import type { OrderRejection } from '../domain/order';
import type { OrderMetrics } from '../metrics';
import { moveOrder, type MoveResult } from './move-order';

export type InventoryOutcome =
  { kind: 'reserved' } | { kind: 'rejected'; rejection: OrderRejection };

/**
 * Saga step 3: inventory's answer moves a PENDING order to CONFIRMED or REJECTED and emits
 * ORDER_CONFIRMED / ORDER_REJECTED in the caller's transaction. Any other current status is
 * reported back (`refused`) for the caller to judge; nothing is written then.
 */
export async function settleOrder(
  tx: Queryable,
  orderMetrics: OrderMetrics,
  orderId: string,
  outcome: InventoryOutcome,
): Promise<MoveResult> {
  const move =
    outcome.kind === 'reserved'
      ? await moveOrder(tx, { orderId, to: 'CONFIRMED', reason: 'stock reserved' })
      : await moveOrder(tx, {
          orderId,
          to: 'REJECTED',
          reason: outcome.rejection.reason,
          rejection: outcome.rejection,
        });
  if (move.kind !== 'moved') return move;
  const { userId } = move.order;
  if (outcome.kind === 'reserved') {
    await enqueueEvent(tx, 'ORDER_CONFIRMED', { orderId, userId });
  } else {
    await enqueueEvent(tx, 'ORDER_REJECTED', { orderId, userId, reason: outcome.rejection.reason });
  }
  // Counted before the consumer commits; a failed commit (rare) is redelivered and counted again.
  orderMetrics.orderMoved(move);
  return move;
}
