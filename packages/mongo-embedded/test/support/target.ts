import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { MongoClient } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';
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

/**
 * At the top of a describe: the suite's own database on the target, opened (and given `seed`)
 * before its tests and dropped after them. Tests read `db` and `target` as they run.
 */
export function useTargetDatabase(
  label: string,
  seed?: (db: Db) => Promise<unknown>,
): { readonly db: Db; readonly target: MongoTarget } {
  let opened: { db: Db; target: MongoTarget } | undefined;
  before(async () => {
    const target = await openTarget(label);
    opened = { target, db: (await target.connect()).db(target.databaseName) };
    await seed?.(opened.db);
  });
  after(async () => {
    await opened?.target.close();
  });
  const current = () => {
    if (!opened) throw new Error("the database opens in the suite's before hook");
    return opened;
  };
  return {
    get db() {
      return current().db;
    },
    get target() {
      return current().target;
    },
  };
}
