import type { Migration } from '@shop/postgres';

// Distinct from other services' keys so a shared server never makes them wait on each other.
export const MIGRATION_LOCK_KEY = 3001;

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'users',
    sql: `
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(btrim(email))),
        name text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('customer', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- The index, not a read-then-insert, is what makes concurrent duplicate sign-ups safe.
      CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
    `,
  },
  {
    version: 2,
    name: 'refresh tokens',
    sql: `
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_digest bytea NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        replaced_by uuid REFERENCES refresh_tokens (id),
        revoked_at timestamptz
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
    `,
  },
  {
    version: 3,
    name: 'login throttles',
    sql: `
      -- One row per throttled key ("account:<email>|ip:<address>" or "ip:<address>").
      CREATE TABLE login_throttles (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        blocked_until timestamptz
      );
      CREATE INDEX login_throttles_window ON login_throttles (window_started_at);
    `,
  },
];
