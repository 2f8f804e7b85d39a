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
  await lockOrders(tx, [orderId]);
}

/**
 * `lockOrder` for a batch, in one statement. The locks are taken in key order, so two batches
 * with orders in common queue behind each other instead of deadlocking.
 */
export async function lockOrders(tx: Queryable, orderIds: readonly string[]): Promise<void> {
  await tx.query(
    `SELECT pg_advisory_xact_lock($1, lock_key)
       FROM (SELECT DISTINCT hashtext(order_id) AS lock_key
               FROM unnest($2::text[]) AS o(order_id) ORDER BY lock_key) AS keys`,
    [ORDER_LOCK_SPACE, orderIds],
  );
}

export async function findOrderOutcome(
  tx: Queryable,
  orderId: string,
): Promise<OrderOutcome | undefined> {
  return (await findOrderOutcomes(tx, [orderId])).get(orderId);
}

export async function findOrderOutcomes(
  tx: Queryable,
  orderIds: readonly string[],
): Promise<Map<string, OrderOutcome>> {
  const { rows } = await tx.query<{ order_id: string; outcome: OrderOutcome }>(
    'SELECT order_id, outcome FROM order_outcomes WHERE order_id = ANY($1::text[])',
    [orderIds],
  );
  return new Map(rows.map((row) => [row.order_id, row.outcome]));
}

export interface OrderOutcomeRow {
  orderId: string;
  outcome: OrderOutcome;
  reason?: string | null;
}

export async function saveOrderOutcome(
  tx: Queryable,
  orderId: string,
  outcome: OrderOutcome,
  reason: string | null = null,
): Promise<void> {
  await saveOrderOutcomes(tx, [{ orderId, outcome, reason }]);
}

/** One row per order: an upsert cannot touch the same row twice in one statement. */
export async function saveOrderOutcomes(
  tx: Queryable,
  outcomes: readonly OrderOutcomeRow[],
): Promise<void> {
  if (outcomes.length === 0) return;
  await tx.query(
    `INSERT INTO order_outcomes (order_id, outcome, reason)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (order_id) DO UPDATE
       SET outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, updated_at = now()`,
    [
      outcomes.map((row) => row.orderId),
      outcomes.map((row) => row.outcome),
      outcomes.map((row) => row.reason ?? null),
    ],
  );
}

export interface ReservationRow extends OrderLine {
  orderId: string;
}

export async function insertReservations(
  tx: Queryable,
  reservations: readonly ReservationRow[],
): Promise<void> {
  if (reservations.length === 0) return;
  await tx.query(
    `INSERT INTO reservations (order_id, product_id, quantity, status)
     SELECT order_id, product_id, quantity, 'reserved'
       FROM unnest($1::text[], $2::text[], $3::int[]) AS r(order_id, product_id, quantity)`,
    [
      reservations.map((row) => row.orderId),
      reservations.map((row) => row.productId),
      reservations.map((row) => row.quantity),
    ],
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
