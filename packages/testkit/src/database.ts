import { databaseUrl, dropDatabase, ensureDatabase } from '@shop/postgres';
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
