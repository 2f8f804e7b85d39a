import type { Migration } from '@shop/postgres';

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'stock, reservations, order outcomes and the stock ledger',
    sql: `
      CREATE TABLE stock (
        product_id text PRIMARY KEY,
        available integer NOT NULL CHECK (available >= 0),
        reserved integer NOT NULL CHECK (reserved >= 0),
        -- A deleted product keeps its row (and its history) but is never reserved again.
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE reservations (
        order_id text NOT NULL,
        product_id text NOT NULL REFERENCES stock (product_id),
        quantity integer NOT NULL CHECK (quantity > 0),
        status text NOT NULL CHECK (status IN ('reserved', 'released')),
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz,
        PRIMARY KEY (order_id, product_id)
      );
      CREATE INDEX reservations_product_reserved ON reservations (product_id)
        WHERE status = 'reserved';

      -- What happened to each order, whatever event id carried it: a second ORDER_CREATED or
      -- ORDER_CANCELLED for the same order (a re-send with a new event id) finds its answer here.
      CREATE TABLE order_outcomes (
        order_id text PRIMARY KEY,
        outcome text NOT NULL
          CHECK (outcome IN ('reserved', 'rejected', 'cancelled_before_reserve', 'released')),
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- Every movement of stock; per product the deltas add up to the current row.
      CREATE TABLE stock_ledger (
        id bigserial PRIMARY KEY,
        product_id text NOT NULL REFERENCES stock (product_id),
        delta_available integer NOT NULL,
        delta_reserved integer NOT NULL,
        reason text NOT NULL
          CHECK (reason IN ('initial', 'restock', 'reserve', 'release', 'product_deleted')),
        order_id text,
        actor_id text,
        at timestamptz NOT NULL DEFAULT now(),
        CHECK ((reason IN ('reserve', 'release')) = (order_id IS NOT NULL)),
        CHECK (reason <> 'restock' OR actor_id IS NOT NULL)
      );
      CREATE INDEX stock_ledger_product ON stock_ledger (product_id, id);
    `,
  },
];

/** Its own advisory lock key, so the service and the messaging tables migrate independently. */
export const MIGRATION_LOCK_KEY = 727_004;
