import type { order, orderRejection } from '@shop/contracts';
import type { Principal } from '@shop/service-kit';
import type { z } from 'zod';

/** An order as the API shows it: the response schema of the contracts. */
export type Order = z.output<typeof order>;

/** Why inventory turned an order down, as it said in INVENTORY_REJECTED. */
export type OrderRejection = z.output<typeof orderRejection>;

/** Why, by whom and when a CANCELLED order was cancelled. */
export type OrderCancellation = NonNullable<Order['cancellation']>;

/** Who cancelled an order: its owner, an admin on someone else's order, or the pending sweeper. */
export type CancelledBy = OrderCancellation['by'];

/** Owners see and cancel their own orders; admins everyone's. */
export function mayAccessOrder(principal: Principal, ownerId: string): boolean {
  return principal.role === 'admin' || principal.userId === ownerId;
}

/** An admin cancelling their own order does so as its customer. */
export function cancellerOf(principal: Principal, ownerId: string): 'customer' | 'admin' {
  return principal.userId === ownerId ? 'customer' : 'admin';
}
