import type { Pool } from '@shop/postgres';
import { NotFoundError, type Principal } from '@shop/service-kit';
import type { Order } from '../clients/order-service';
import { findUserById, type User } from '../db/users';

export interface UserProfile extends User {
  orders: Order[];
  /** True when order-service could not be asked in time: `orders` is then empty, not the truth. */
  ordersUnavailable: boolean;
}

export interface OrderHistory {
  ordersOf(userId: string, authorization: string | undefined): Promise<Order[] | undefined>;
}

/**
 * The user and their orders, for that user or an admin. Anyone else gets the same 404 as for a
 * missing id, so ids of other accounts cannot be probed.
 */
export async function readUserProfile(
  deps: { pool: Pool; orders: OrderHistory },
  caller: Principal,
  id: string,
  authorization: string | undefined,
): Promise<UserProfile> {
  const missing = NotFoundError('No such user');
  if (caller.userId !== id && caller.role !== 'admin') throw missing;
  const user = await findUserById(deps.pool, id);
  if (!user) throw missing;
  const orders = await deps.orders.ordersOf(user.id, authorization);
  return orders
    ? { ...user, orders, ordersUnavailable: false }
    : { ...user, orders: [], ordersUnavailable: true };
}
