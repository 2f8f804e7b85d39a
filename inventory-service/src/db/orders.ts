import type { Queryable } from '@shop/postgres';
import type { OrderLine } from '../domain/reservation';
import type { OrderOutcome } from '../domain/order-outcome';

// The first key of the two-key advisory lock: a namespace of its own for order locks.
const ORDER_LOCK_SPACE = 7004;

/**
 * Serialises everything that happens to one order (its ORDER_CREATED and ORDER_CANCELLED may be
 * handled at the same time by two consumers). Always taken before any stock row lock, so the
 * lock order stays: one order, then stock rows by product id.
 */
export async function lockOrder(tx: Queryable, orderId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ORDER_LOCK_SPACE, orderId]);
}

export async function findOrderOutcome(
  tx: Queryable,
  orderId: string,
): Promise<OrderOutcome | undefined> {
  const { rows } = await tx.query<{ outcome: OrderOutcome }>(
    'SELECT outcome FROM order_outcomes WHERE order_id = $1',
    [orderId],
  );
  return rows[0]?.outcome;
}

export async function saveOrderOutcome(
  tx: Queryable,
  orderId: string,
  outcome: OrderOutcome,
  reason: string | null = null,
): Promise<void> {
  await tx.query(
    `INSERT INTO order_outcomes (order_id, outcome, reason) VALUES ($1, $2, $3)
     ON CONFLICT (order_id) DO UPDATE
       SET outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, updated_at = now()`,
    [orderId, outcome, reason],
  );
}

export async function insertReservation(
  tx: Queryable,
  orderId: string,
  line: OrderLine,
): Promise<void> {
  await tx.query(
    `INSERT INTO reservations (order_id, product_id, quantity, status)
     VALUES ($1, $2, $3, 'reserved')`,
    [orderId, line.productId, line.quantity],
  );
}

/** Marks the order's held lines released and returns them (none if nothing was held). */
export async function releaseReservations(tx: Queryable, orderId: string): Promise<OrderLine[]> {
  const { rows } = await tx.query<{ product_id: string; quantity: number }>(
    `UPDATE reservations SET status = 'released', released_at = now()
     WHERE order_id = $1 AND status = 'reserved'
     RETURNING product_id, quantity`,
    [orderId],
  );
  return rows.map((row) => ({ productId: row.product_id, quantity: row.quantity }));
}
