import type { Migration } from '@shop/postgres';

// Released migrations are never edited; a change is a new version.
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'orders, lines, status history, idempotency keys',
    sql: `
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED')),
        total bigint NOT NULL CHECK (total >= 0),
        rejection_reason jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finalized_at timestamptz
      );
      CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);
      CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);

      CREATE TABLE order_lines (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        line_no integer NOT NULL,
        product_id text NOT NULL,
        product_name text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price bigint NOT NULL CHECK (unit_price >= 0),
        PRIMARY KEY (order_id, line_no),
        UNIQUE (order_id, product_id)
      );

      CREATE TABLE order_status_history (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        reason text,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

      CREATE TABLE idempotency_keys (
        user_id text NOT NULL,
        key text NOT NULL,
        request_fingerprint text NOT NULL,
        -- Deferred: the key is claimed first, before its order exists, so a concurrent retry
        -- with the same key waits on this row instead of creating a second order.
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      );
    `,
  },
  {
    version: 2,
    name: 'pending orders by age, for the sweeper',
    // Partial: only PENDING rows, which are few and short-lived, so the index stays tiny.
    sql: `CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'PENDING';`,
  },
  {
    version: 3,
    name: 'who cancelled an order, why and when',
    // Orders cancelled before this version get theirs from the history, whose reasons name the
    // canceller, so every CANCELLED order shows one.
    sql: `
      ALTER TABLE orders
        ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('customer', 'admin', 'system')),
        ADD COLUMN cancellation_reason text,
        ADD COLUMN cancelled_at timestamptz;

      UPDATE orders
         SET cancelled_by = CASE history.reason
               WHEN 'cancelled by its owner' THEN 'customer'
               WHEN 'cancelled by an admin' THEN 'admin'
               WHEN 'inventory did not answer in time' THEN 'system'
             END,
             cancellation_reason = history.reason,
             cancelled_at = history.at
        FROM order_status_history history
       WHERE history.order_id = orders.id
         AND history.to_status = 'CANCELLED'
         AND history.reason IN (
               'cancelled by its owner', 'cancelled by an admin', 'inventory did not answer in time'
             )
         AND orders.status = 'CANCELLED';
    `,
  },
];
