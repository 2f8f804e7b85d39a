import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { MongoClientOptions } from 'mongodb';
import { start } from '@shop/mongo-embedded';

/**
 * Where a test file's assertions run: a real MongoDB when MONGODB_URL is set, else an
 * embedded server started for the file. Either way the database name is unique to the run,
 * so files never see each other's data, and it is dropped at the end.
 */
export interface MongoTarget {
  uri: string;
  databaseName: string;
  /** False when the assertions run against the real MongoDB at MONGODB_URL. */
  embedded: boolean;
  connect(options?: MongoClientOptions): Promise<MongoClient>;
  close(): Promise<void>;
}

export const externalUrl = process.env['MONGODB_URL'];

export function uniqueDatabaseName(label: string): string {
  return `shop_test_${label}_${randomBytes(4).toString('hex')}`;
}

export async function openTarget(label: string): Promise<MongoTarget> {
  const databaseName = uniqueDatabaseName(label);
  const server = externalUrl === undefined ? await start() : undefined;
  const uri = externalUrl ?? (server as NonNullable<typeof server>).uri;
  const clients: MongoClient[] = [];
  return {
    uri,
    databaseName,
    embedded: server !== undefined,
    async connect(options) {
      const client = await new MongoClient(uri, options).connect();
      clients.push(client);
      return client;
    },
    async close() {
      const cleanup = await new MongoClient(uri).connect();
      await cleanup.db(databaseName).dropDatabase();
      await cleanup.close();
      await Promise.all(clients.map((client) => client.close()));
      await server?.stop();
    },
  };
}
