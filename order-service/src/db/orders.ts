import type { Queryable } from '@shop/postgres';
import { outboxWritten, type OutboxStatement } from '@shop/messaging';
import type { CancelledBy, Order, OrderRejection } from '../domain/order';
import type { OrderStatus } from '../domain/order-status';
import type { PricedLine } from '../domain/pricing';

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  total: number;
  rejection_reason: OrderRejection | null;
  cancelled_by: CancelledBy | null;
  cancellation_reason: string | null;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  order_id: string;
  product_id: string;
  product_name: string;
  quantity: number;
  unit_price: number;
}

const ORDER_COLUMNS = `id, user_id, status, total, rejection_reason,
  cancelled_by, cancellation_reason, cancelled_at, created_at, updated_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toOrder(row: OrderRow, lines: readonly LineRow[]): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items: lines.map((line) => ({
      productId: line.product_id,
      name: line.product_name,
      quantity: line.quantity,
      unitPrice: line.unit_price,
      lineTotal: line.unit_price * line.quantity,
    })),
    total: row.total,
    ...(row.rejection_reason ? { rejectionReason: row.rejection_reason } : {}),
    ...(row.status === 'CANCELLED' &&
    row.cancelled_by &&
    row.cancellation_reason !== null &&
    row.cancelled_at
      ? {
          cancellation: {
            reason: row.cancellation_reason,
            by: row.cancelled_by,
            at: row.cancelled_at.toISOString(),
          },
        }
      : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function withLines(db: Queryable, rows: readonly OrderRow[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const { rows: lines } = await db.query<LineRow>(
    `SELECT order_id, product_id, product_name, quantity, unit_price
       FROM order_lines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no`,
    [rows.map((row) => row.id)],
  );
  return rows.map((row) =>
    toOrder(
      row,
      lines.filter((line) => line.order_id === row.id),
    ),
  );
}

/**
 * The order, its lines and its first history row in one statement (data-modifying CTEs), so
 * placing an order costs one round trip here instead of four.
 */
/**
 * Inserts the order PENDING with its lines and first history row, and `events` into the outbox,
 * in one statement: atomic on its own (one round trip when no transaction is open), and inside
 * the caller's transaction when there is one.
 */
export async function insertOrder(
  tx: Queryable,
  order: { id: string; userId: string; lines: readonly PricedLine[]; total: number },
  events: OutboxStatement,
): Promise<Order> {
  const { rows } = await tx.query<OrderRow>(
    `WITH placed AS (
       INSERT INTO orders (id, user_id, status, total) VALUES ($1, $2, 'PENDING', $3)
       RETURNING ${ORDER_COLUMNS}
     ), lines AS (
       INSERT INTO order_lines (order_id, line_no, product_id, product_name, quantity, unit_price)
       SELECT $1, line.no, line.product_id, line.product_name, line.quantity, line.unit_price
         FROM unnest($4::text[], $5::text[], $6::int[], $7::bigint[])
              WITH ORDINALITY AS line (product_id, product_name, quantity, unit_price, no)
     ), history AS (
       INSERT INTO order_status_history (order_id, from_status, to_status, reason)
       VALUES ($1, NULL, 'PENDING', 'placed')
     ), events AS (
       ${events.sql}
     )
     SELECT * FROM placed`,
    [
      order.id,
      order.userId,
      order.total,
      order.lines.map((line) => line.productId),
      order.lines.map((line) => line.name),
      order.lines.map((line) => line.quantity),
      order.lines.map((line) => line.unitPrice),
      ...events.params,
    ],
  );
  outboxWritten(tx);
  return toOrder(
    rows[0]!,
    order.lines.map((line) => ({
      order_id: order.id,
      product_id: line.productId,
      product_name: line.name,
      quantity: line.quantity,
      unit_price: line.unitPrice,
    })),
  );
}

/** The first parameter number free for the events of `insertOrder`. */
export const ORDER_EVENTS_FIRST_PARAM = 8;

/** The order, or undefined if there is none with that id (an id that is not a UUID included). */
export async function findOrder(db: Queryable, id: string): Promise<Order | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [
    id,
  ]);
  const [order] = await withLines(db, rows);
  return order;
}

export async function listOrders(
  db: Queryable,
  filter: { userId?: string; status?: OrderStatus; limit: number; offset: number },
): Promise<{ orders: Order[]; total: number }> {
  // NULL parameters switch a filter off, so one plain query serves every combination.
  const where = '($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR status = $2)';
  const params = [filter.userId ?? null, filter.status ?? null];
  const [{ rows }, count] = await Promise.all([
    db.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE ${where}
        ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`,
      [...params, filter.limit, filter.offset],
    ),
    db.query<{ total: number }>(
      `SELECT count(*)::bigint AS total FROM orders WHERE ${where}`,
      params,
    ),
  ]);
  return { orders: await withLines(db, rows), total: count.rows[0]?.total ?? 0 };
}

/**
 * Moves the order only if it is still in the status the caller decided from. No row back means
 * someone else moved it first: the caller re-reads and decides again. A cancellation is written by
 * the same guarded UPDATE, so a CANCELLED order never lacks its canceller.
 */
export async function updateOrderStatus(
  tx: Queryable,
  move: {
    id: string;
    from: OrderStatus;
    to: OrderStatus;
    rejection?: OrderRejection;
    cancellation?: { by: CancelledBy; reason: string };
  },
): Promise<{ order: Order; createdAt: Date; updatedAt: Date } | undefined> {
  const { rows } = await tx.query<OrderRow>(
    `UPDATE orders
        SET status = $3,
            rejection_reason = COALESCE($4::jsonb, rejection_reason),
            cancelled_by = COALESCE($5::text, cancelled_by),
            cancellation_reason = COALESCE($6::text, cancellation_reason),
            cancelled_at = CASE WHEN $5::text IS NULL THEN cancelled_at ELSE now() END,
            updated_at = now(),
            finalized_at = COALESCE(finalized_at, now())
      WHERE id = $1 AND status = $2
      RETURNING ${ORDER_COLUMNS}`,
    [
      move.id,
      move.from,
      move.to,
      move.rejection ? JSON.stringify(move.rejection) : null,
      move.cancellation?.by ?? null,
      move.cancellation?.reason ?? null,
    ],
  );
  const [row] = rows;
  if (!row) return undefined;
  const [order] = await withLines(tx, rows);
  return { order: order!, createdAt: row.created_at, updatedAt: row.updated_at };
}

/**
 * Locks up to `limit` orders PENDING since before `olderThanMs` ago, oldest first, for the caller's
 * transaction. SKIP LOCKED lets several sweeping replicas share the work: each takes rows the
 * others have not, and none waits on an order a consumer or a customer is moving right now.
 */
export async function lockStalePendingOrders(
  tx: Queryable,
  filter: { olderThanMs: number; limit: number },
): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM orders
      WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1::double precision / 1000)
      ORDER BY created_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [filter.olderThanMs, filter.limit],
  );
  return rows.map((row) => row.id);
}

export interface StatusChange {
  orderId: string;
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string;
}

export async function recordStatusChange(tx: Queryable, change: StatusChange): Promise<void> {
  await recordStatusChanges(tx, [change]);
}

export async function recordStatusChanges(
  tx: Queryable,
  changes: readonly StatusChange[],
): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `INSERT INTO order_status_history (order_id, from_status, to_status, reason)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`,
    [
      changes.map((change) => change.orderId),
      changes.map((change) => change.from),
      changes.map((change) => change.to),
      changes.map((change) => change.reason),
    ],
  );
}

export interface Settlement {
  orderId: string;
  to: 'CONFIRMED' | 'REJECTED';
  rejection?: OrderRejection;
}

/**
 * `updateOrderStatus` from PENDING for many orders in one statement, each to its own status. The
 * orders that were not PENDING any more (or do not exist) are simply not in the answer.
 */
export async function settlePendingOrders(
  tx: Queryable,
  settlements: readonly Settlement[],
): Promise<{ id: string; userId: string; createdAt: Date; updatedAt: Date }[]> {
  const { rows } = await tx.query<{
    id: string;
    user_id: string;
    created_at: Date;
    updated_at: Date;
  }>(
    `UPDATE orders
        SET status = s.to_status,
            rejection_reason = COALESCE(s.rejection::jsonb, orders.rejection_reason),
            updated_at = now(),
            finalized_at = COALESCE(orders.finalized_at, now())
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS s(id, to_status, rejection)
      WHERE orders.id = s.id AND orders.status = 'PENDING'
      RETURNING orders.id, orders.user_id, orders.created_at, orders.updated_at`,
    [
      settlements.map((settlement) => settlement.orderId),
      settlements.map((settlement) => settlement.to),
      settlements.map((settlement) =>
        settlement.rejection ? JSON.stringify(settlement.rejection) : null,
      ),
    ],
  );
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

/** The status of each of these orders that exists. */
export async function orderStatuses(
  db: Queryable,
  ids: readonly string[],
): Promise<Map<string, OrderStatus>> {
  const { rows } = await db.query<{ id: string; status: OrderStatus }>(
    'SELECT id, status FROM orders WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.status]));
}
