import { shopEvents, type ShopEvents } from '@shop/contracts';
import { enqueueEvents, type OutgoingEvent } from '@shop/messaging';
import type { Queryable } from '@shop/postgres';
import {
  orderStatuses,
  recordStatusChanges,
  settlePendingOrders,
  type Settlement,
  type StatusChange,
} from '../db/orders';
import type { OrderRejection } from '../domain/order';
import { canMoveOrder, type OrderStatus } from '../domain/order-status';
import type { OrderMetrics } from '../metrics';

export type InventoryOutcome =
  { kind: 'reserved' } | { kind: 'rejected'; rejection: OrderRejection };

export interface InventoryAnswer {
  orderId: string;
  outcome: InventoryOutcome;
  correlationId?: string;
}

export type SettleResult =
  | { orderId: string; kind: 'moved' }
  /** Not PENDING any more (`current`), or no such order: for the caller to judge. */
  | { orderId: string; kind: 'not-moved'; current: OrderStatus | undefined };

/**
 * Saga step 3, for a batch of inventory's answers in one statement per table: the PENDING ones
 * move, with their history rows and ORDER_CONFIRMED / ORDER_REJECTED; the rest are reported.
 * The only moves made here are PENDING -> CONFIRMED and PENDING -> REJECTED, checked against the
 * state machine and guarded in SQL by `status = 'PENDING'`, as `moveOrder` guards a single move.
 */
export async function settleOrders(
  tx: Queryable,
  orderMetrics: OrderMetrics,
  answers: readonly InventoryAnswer[],
): Promise<SettleResult[]> {
  const settlements: Settlement[] = answers.map(({ orderId, outcome }) => {
    const to = outcome.kind === 'reserved' ? 'CONFIRMED' : 'REJECTED';
    if (!canMoveOrder('PENDING', to)) throw new Error(`PENDING -> ${to} is not a move`);
    return outcome.kind === 'reserved'
      ? { orderId, to }
      : { orderId, to, rejection: outcome.rejection };
  });
  const moved = new Map(
    (await settlePendingOrders(tx, settlements)).map((order) => [order.id, order]),
  );
  const changes: StatusChange[] = [];
  const outgoing: OutgoingEvent<ShopEvents>[] = [];
  for (const [index, { orderId, outcome, correlationId }] of answers.entries()) {
    const order = moved.get(orderId);
    if (!order) continue;
    const to = settlements[index]!.to;
    const reason = outcome.kind === 'reserved' ? 'stock reserved' : outcome.rejection.reason;
    changes.push({ orderId, from: 'PENDING', to, reason });
    const correlation = correlationId ? { correlationId } : {};
    outgoing.push(
      outcome.kind === 'reserved'
        ? { type: 'ORDER_CONFIRMED', data: { orderId, userId: order.userId }, ...correlation }
        : {
            type: 'ORDER_REJECTED',
            data: { orderId, userId: order.userId, reason: outcome.rejection.reason },
            ...correlation,
          },
    );
  }
  await recordStatusChanges(tx, changes);
  await enqueueEvents(tx, shopEvents, outgoing);

  const unmoved = answers.filter(({ orderId }) => !moved.has(orderId)).map((a) => a.orderId);
  const current = unmoved.length > 0 ? await orderStatuses(tx, unmoved) : new Map();
  return answers.map(({ orderId }, index) => {
    const order = moved.get(orderId);
    if (!order) return { orderId, kind: 'not-moved', current: current.get(orderId) };
    // Counted before the consumer commits; a failed commit (rare) is redelivered and counted again.
    orderMetrics.orderMoved({
      from: 'PENDING',
      to: settlements[index]!.to,
      createdAt: order.createdAt,
      at: order.updatedAt,
    });
    return { orderId, kind: 'moved' };
  });
}
