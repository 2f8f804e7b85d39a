import { enqueueEvent, type EventData } from '@shop/messaging';
import type { Queryable } from '@shop/postgres';
import {
  decideReservation,
  mergeOrderLines,
  REJECTED_FOR_CANCEL,
  type ReservationDecision,
} from '../domain/reservation';
import { stepOnOrderCancelled, stepOnOrderCreated } from '../domain/order-outcome';
import {
  findOrderOutcome,
  insertReservation,
  lockOrder,
  releaseReservations,
  saveOrderOutcome,
} from '../db/orders';
import {
  lockStock,
  moveToReserved,
  recordMovement,
  stockLevels,
  writeOffReturned,
} from '../db/stock';

export interface ReservationResult {
  /** `ignored` when the order had already been answered (a re-sent ORDER_CREATED). */
  result: 'reserved' | 'rejected' | 'ignored';
  /** Products this reservation took down to zero available. */
  stockOuts: string[];
}

type Correlation = { correlationId?: string };

/**
 * ORDER_CREATED: reserve every line or none, and answer through the outbox in the same
 * transaction. Stock rows are locked with SELECT ... FOR UPDATE in product id order rather than
 * updated with `WHERE available >= $q` one line at a time: the all-or-nothing decision and the
 * shortage report need every line's stock at once, so one locked read feeds a pure decision
 * (`decideReservation`), and a short order never writes anything it would have to undo. Holding
 * the row locks until commit is what makes overselling impossible; taking them in one global
 * order is what makes deadlock impossible.
 *
 * A line whose product has no stock row yet throws `StockNotYetKnown` before anything is written;
 * the consumer's transaction, inbox record included, rolls back and the event is retried.
 */
export async function reserveOrder(
  tx: Queryable,
  order: EventData<'ORDER_CREATED'>,
  correlation: Correlation = {},
): Promise<ReservationResult> {
  await lockOrder(tx, order.orderId);
  const step = stepOnOrderCreated(await findOrderOutcome(tx, order.orderId));
  if (step === 'ignore') return { result: 'ignored', stockOuts: [] };
  if (step === 'answer-cancelled') {
    // The cancel overtook the order: nothing is held, and the answer lets the order side
    // settle whatever state it is in (order-service keeps a CANCELLED order CANCELLED).
    await saveOrderOutcome(tx, order.orderId, 'rejected', REJECTED_FOR_CANCEL);
    const cancelled: ReservationDecision = {
      outcome: 'rejected',
      reason: REJECTED_FOR_CANCEL,
      shortages: [],
    };
    await answer(tx, order.orderId, cancelled, correlation);
    return { result: 'rejected', stockOuts: [] };
  }

  const lines = mergeOrderLines(order.items);
  const locked = await lockStock(
    tx,
    lines.map((line) => line.productId),
  );
  const decision = decideReservation(lines, stockLevels(locked));
  const stockOuts: string[] = [];
  if (decision.outcome === 'reserved') {
    for (const line of decision.items) {
      const after = await moveToReserved(tx, line.productId, line.quantity);
      await insertReservation(tx, order.orderId, line);
      await recordMovement(tx, {
        productId: line.productId,
        deltaAvailable: -line.quantity,
        deltaReserved: line.quantity,
        reason: 'reserve',
        orderId: order.orderId,
      });
      if (after.available === 0) stockOuts.push(line.productId);
    }
    await saveOrderOutcome(tx, order.orderId, 'reserved');
  } else {
    await saveOrderOutcome(tx, order.orderId, 'rejected', decision.reason);
  }
  await answer(tx, order.orderId, decision, correlation);
  return { result: decision.outcome, stockOuts };
}

async function answer(
  tx: Queryable,
  orderId: string,
  decision: ReservationDecision,
  correlation: Correlation,
): Promise<void> {
  if (decision.outcome === 'reserved') {
    await enqueueEvent(tx, 'INVENTORY_RESERVED', { orderId, items: decision.items }, correlation);
  } else {
    await enqueueEvent(
      tx,
      'INVENTORY_REJECTED',
      { orderId, reason: decision.reason, shortages: decision.shortages },
      correlation,
    );
  }
}

export type CancellationResult = 'released' | 'remembered' | 'ignored';

/**
 * ORDER_CANCELLED: give back what the order holds, once. A cancel that overtakes its order is
 * remembered, so the late ORDER_CREATED reserves nothing.
 */
export async function cancelOrder(
  tx: Queryable,
  order: EventData<'ORDER_CANCELLED'>,
  correlation: Correlation = {},
): Promise<CancellationResult> {
  await lockOrder(tx, order.orderId);
  const step = stepOnOrderCancelled(await findOrderOutcome(tx, order.orderId));
  if (step === 'ignore') return 'ignored';
  if (step === 'remember-cancel') {
    await saveOrderOutcome(tx, order.orderId, 'cancelled_before_reserve');
    return 'remembered';
  }

  const released = await releaseReservations(tx, order.orderId);
  const locked = await lockStock(
    tx,
    released.map((line) => line.productId),
  );
  for (const line of mergeOrderLines(released)) {
    await moveToReserved(tx, line.productId, -line.quantity);
    await recordMovement(tx, {
      productId: line.productId,
      deltaAvailable: line.quantity,
      deltaReserved: -line.quantity,
      reason: 'release',
      orderId: order.orderId,
    });
    if (locked.get(line.productId)?.deleted) {
      await writeOffReturned(tx, line.productId, line.quantity);
    }
  }
  await saveOrderOutcome(tx, order.orderId, 'released');
  await enqueueEvent(tx, 'INVENTORY_RELEASED', { orderId: order.orderId }, correlation);
  return 'released';
}
