import type pg from 'pg';
import { withTransaction } from './pool';

export interface Migration {
  /** Increasing integer; a migration once released is never edited, only followed by another. */
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies pending migrations in order, each in its own transaction. A session-level advisory lock
 * serialises replicas starting at once: the second waits, then finds nothing left to do.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[],
  options: { lockKey?: number; table?: string } = {},
): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const client = await pool.connect();
  const lockKey = options.lockKey ?? 727_001;
  // A package with tables of its own (the messaging outbox and inbox) keeps its own history table,
  // so its versions never collide with the service's.
  const table = options.table ?? 'schema_migrations';
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`Bad migrations table name: ${table}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${table}`);
    const applied = new Set(rows.map((row) => row.version));
    const done: number[] = [];
    for (const migration of sorted) {
      if (applied.has(migration.version)) continue;
      await withTransaction(pool, async (tx) => {
        await tx.query(migration.sql);
        await tx.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      });
      done.push(migration.version);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    client.release();
  }
}
