import { shopEvents, type ShopEventData } from '@shop/contracts';
import { enqueueEvent } from '@shop/messaging';
import type { Queryable } from '@shop/postgres';
import { mergeOrderLines } from '../domain/reservation';
import { stepOnOrderCancelled } from '../domain/order-outcome';
import { findOrderOutcome, lockOrder, releaseReservations, saveOrderOutcome } from '../db/orders';
import { lockStock, moveToReserved, recordMovement, writeOffReturned } from '../db/stock';

type Correlation = { correlationId?: string };

export type CancellationResult = 'released' | 'remembered' | 'ignored';

/**
 * ORDER_CANCELLED: give back what the order holds, once. A cancel that overtakes its order is
 * remembered, so the late ORDER_CREATED reserves nothing.
 */
export async function releaseOrder(
  tx: Queryable,
  order: ShopEventData<'ORDER_CANCELLED'>,
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
  await enqueueEvent(tx, shopEvents, 'INVENTORY_RELEASED', { orderId: order.orderId }, correlation);
  return 'released';
}
