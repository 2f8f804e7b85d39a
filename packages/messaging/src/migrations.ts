import { migrate, type Migration, type Pool } from '@shop/postgres';

const migrations: Migration[] = [
  {
    version: 1,
    name: 'outbox and inbox',
    sql: `
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        event_type text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      );
      -- The relay only ever looks for pending rows in id order; sent rows stay for auditing.
      CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

      CREATE TABLE inbox (
        consumer text NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      );`,
  },
  {
    version: 2,
    name: 'outbox trace context',
    // The W3C trace context of the work that wrote the event, so its publish joins that trace.
    sql: 'ALTER TABLE outbox ADD COLUMN trace_context jsonb;',
  },
];

/** Its own history table and lock key, so it never collides with the service's own migrations. */
export const MESSAGING_MIGRATIONS_TABLE = 'messaging_migrations';
export const MESSAGING_MIGRATIONS_LOCK_KEY = 727_600;

/** Creates the `outbox` and `inbox` tables in the service's database. Safe for parallel replicas. */
export async function migrateMessaging(pool: Pool): Promise<void> {
  await migrate(pool, migrations, {
    table: MESSAGING_MIGRATIONS_TABLE,
    lockKey: MESSAGING_MIGRATIONS_LOCK_KEY,
  });
}
