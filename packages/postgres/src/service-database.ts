import type pg from 'pg';
import { ensureDatabase } from './database';
import { migrate, type Migration } from './migrations';
import { createPool } from './pool';

/**
 * What a Postgres-backed service's main.ts does before it serves: create its database if it is
 * missing (a bare server in development), open the pool, apply pending migrations.
 */
export async function openServiceDatabase(
  url: string,
  options: { migrations: readonly Migration[]; lockKey?: number; maxConnections?: number },
): Promise<pg.Pool> {
  await ensureDatabase(url);
  const pool = createPool(url, { max: options.maxConnections });
  try {
    await migrate(pool, options.migrations, { lockKey: options.lockKey });
    return pool;
  } catch (error) {
    await pool.end();
    throw error;
  }
}
