import { dropDatabase, ensureDatabase } from '@shop/postgres';
import { testServers } from './environment';
import { uniqueName } from './names';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the shared server, for one suite. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const url = new URL(testServers.postgresUrl);
  url.pathname = `/${uniqueName(prefix).toLowerCase()}`;
  const connectionString = url.toString();
  await ensureDatabase(connectionString);
  return { url: connectionString, drop: () => dropDatabase(connectionString) };
}
