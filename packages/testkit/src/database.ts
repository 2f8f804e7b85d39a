import { migrateMessaging } from '@shop/messaging';
import {
  createPool,
  databaseUrl,
  dropDatabase,
  ensureDatabase,
  migrate,
  type Migration,
  type Pool,
} from '@shop/postgres';
import { testServers } from './environment';
import { uniqueName } from './names';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the shared server, for one suite. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const connectionString = databaseUrl(testServers.postgresUrl, uniqueName(prefix).toLowerCase());
  await ensureDatabase(connectionString);
  return { url: connectionString, drop: () => dropDatabase(connectionString) };
}

export interface OutboxTestDatabase {
  url: string;
  pool: Pool;
  close(): Promise<void>;
}

/**
 * A fresh database with a service's tables and the outbox's and inbox's, migrated as main.ts
 * migrates it (`openOutboxConnections`), for one suite.
 */
export async function createOutboxTestDatabase(
  prefix: string,
  options: { migrations: readonly Migration[]; lockKey?: number; maxConnections?: number },
): Promise<OutboxTestDatabase> {
  const database = await createTestDatabase(prefix);
  const pool = createPool(database.url, { max: options.maxConnections ?? 20 });
  await migrate(pool, options.migrations, { lockKey: options.lockKey });
  await migrateMessaging(pool);
  return {
    url: database.url,
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
