import assert from 'node:assert/strict';
import type { Queryable } from '@shop/postgres';

interface ProductBalance {
  product_id: string;
  available: number;
  reserved: number;
  ledger_available: number;
  ledger_reserved: number;
  put_in: number;
  held: number;
}

/**
 * The invariant of docs/architecture.md ("The order saga"), from inventory's side, checked once the system is quiet:
 * - per product, available + reserved == stock ever put in (initial, restocks, write-offs), and
 *   reserved == the quantities of its reservations still held;
 * - the ledger adds up to the stock rows, so every movement was recorded;
 * - an order holds stock exactly when its outcome is `reserved`.
 * `expectedPutIn` pins "stock ever put in" to what the test itself put in, for the products named.
 */
export async function assertInventoryInvariant(
  db: Queryable,
  expectedPutIn: Record<string, number> = {},
): Promise<void> {
  const { rows: products } = await db.query<ProductBalance>(`
    SELECT s.product_id, s.available, s.reserved,
           coalesce(l.available, 0)::int AS ledger_available,
           coalesce(l.reserved, 0)::int AS ledger_reserved,
           coalesce(l.put_in, 0)::int AS put_in,
           coalesce(r.held, 0)::int AS held
    FROM stock s
    LEFT JOIN (
      SELECT product_id, sum(delta_available) AS available, sum(delta_reserved) AS reserved,
             sum(delta_available + delta_reserved)
               FILTER (WHERE reason IN ('initial', 'restock', 'product_deleted')) AS put_in
      FROM stock_ledger GROUP BY product_id
    ) l USING (product_id)
    LEFT JOIN (
      SELECT product_id, sum(quantity) AS held
      FROM reservations WHERE status = 'reserved' GROUP BY product_id
    ) r USING (product_id)`);
  for (const product of products) {
    const what = `product ${product.product_id}: ${JSON.stringify(product)}`;
    assert.equal(product.available + product.reserved, product.put_in, `stock put in, ${what}`);
    assert.equal(product.reserved, product.held, `reserved vs held reservations, ${what}`);
    assert.equal(product.available, product.ledger_available, `ledger of available, ${what}`);
    assert.equal(product.reserved, product.ledger_reserved, `ledger of reserved, ${what}`);
  }
  for (const [productId, putIn] of Object.entries(expectedPutIn)) {
    const product = products.find((candidate) => candidate.product_id === productId);
    assert.ok(product, `product ${productId} has stock`);
    assert.equal(product.available + product.reserved, putIn, `stock put in for ${productId}`);
  }

  const { rows: orders } = await db.query<{ order_id: string; outcome: string; held: number }>(`
    SELECT o.order_id, o.outcome,
           count(r.order_id) FILTER (WHERE r.status = 'reserved')::int AS held
    FROM order_outcomes o LEFT JOIN reservations r USING (order_id)
    GROUP BY o.order_id, o.outcome`);
  for (const order of orders) {
    assert.equal(order.held > 0, order.outcome === 'reserved', `order ${JSON.stringify(order)}`);
  }
  const { rows: orphans } = await db.query(
    'SELECT order_id FROM reservations WHERE order_id NOT IN (SELECT order_id FROM order_outcomes)',
  );
  assert.deepEqual(orphans, [], 'every reservation belongs to an order with an outcome');
}
