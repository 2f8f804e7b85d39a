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

/** An order as the API shows it. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  items: PricedLine[];
  total: number;
  rejectionReason?: OrderRejection;
  createdAt: string;
  updatedAt: string;
}

/** Owners see and cancel their own orders; admins everyone's. */
export function mayAccessOrder(principal: Principal, ownerId: string): boolean {
  return principal.role === 'admin' || principal.userId === ownerId;
}
