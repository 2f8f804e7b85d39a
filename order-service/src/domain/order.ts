import type { Principal } from '@shop/service-kit';
import type { OrderStatus } from './order-status';
import type { PricedLine } from './pricing';

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

/** Why inventory turned an order down, as it said in INVENTORY_REJECTED. */
export interface OrderRejection {
  reason: string;
  shortages: Shortage[];
}

/** Who cancelled an order: its owner, an admin on someone else's order, or the pending sweeper. */
export type CancelledBy = 'customer' | 'admin' | 'system';

/** Why, by whom and when a CANCELLED order was cancelled. */
export interface OrderCancellation {
  reason: string;
  by: CancelledBy;
  at: string;
}

/** An order as the API shows it. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  items: PricedLine[];
  total: number;
  rejectionReason?: OrderRejection;
  cancellation?: OrderCancellation;
  createdAt: string;
  updatedAt: string;
}

/** Owners see and cancel their own orders; admins everyone's. */
export function mayAccessOrder(principal: Principal, ownerId: string): boolean {
  return principal.role === 'admin' || principal.userId === ownerId;
}

/** An admin cancelling their own order does so as its customer. */
export function cancellerOf(principal: Principal, ownerId: string): 'customer' | 'admin' {
  return principal.userId === ownerId ? 'customer' : 'admin';
}
