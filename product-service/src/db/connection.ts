import path from 'node:path';
import type { Logger } from '@shop/service-kit';
import mongoose, { type Connection } from 'mongoose';
import { productModelOn, type ProductModel } from './product-model';

const DEFAULT_DATABASE = 'products';
/** `<repo>/.data/mongo`, the same from src/db and dist/db. */
export const DEVELOPMENT_DATA_DIR = path.resolve(__dirname, '..', '..', '..', '.data', 'mongo');

export interface CatalogDatabase {
  connection: Connection;
  products: ProductModel;
  close(): Promise<void>;
}

export interface CatalogConnectionOptions {
  /** How long a query waits for an unreachable database before it becomes a 503. */
  serverSelectionTimeoutMs?: number;
  /** How long a query waits on a connection that went silent (a cut without a reset). */
  socketTimeoutMs?: number;
  /**
   * How long the first connection may take in all, in attempts of `serverSelectionTimeoutMs`
   * each: a short selection timeout must not fail a start on a busy machine.
   */
  startupTimeoutMs?: number;
}

const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

/** True for the driver's errors that mean the database could not be reached, not a bad query. */
export function isDatabaseUnreachable(error: unknown): boolean {
  return error instanceof Error && UNREACHABLE.has(error.name);
}

function hasDatabaseName(url: string): boolean {
  return new URL(url).pathname.replace(/^\//, '') !== '';
}

async function openConnection(url: string, options: CatalogConnectionOptions): Promise<Connection> {
  const serverSelectionTimeoutMS = options.serverSelectionTimeoutMs ?? 5000;
  const deadline = Date.now() + (options.startupTimeoutMs ?? serverSelectionTimeoutMS);
  for (;;) {
    const connection = mongoose.createConnection(url, {
      ...(hasDatabaseName(url) ? {} : { dbName: DEFAULT_DATABASE }),
      serverSelectionTimeoutMS,
      // Every wait on the database is bounded, so no request can hang on it.
      socketTimeoutMS: options.socketTimeoutMs ?? 10_000,
      connectTimeoutMS: 10_000,
      // Fail fast instead of queueing queries while the database is away.
      bufferCommands: false,
    });
    try {
      return await connection.asPromise();
    } catch (error) {
      await connection.close();
      if (!isDatabaseUnreachable(error) || Date.now() >= deadline) throw error;
    }
  }
}

/** Connects mongoose and makes sure the products collection has its indexes. */
export async function connectCatalog(
  url: string,
  options: CatalogConnectionOptions = {},
): Promise<CatalogDatabase> {
  const connection = await openConnection(url, options);
  try {
    const products = productModelOn(connection);
    await products.init();
    return { connection, products, close: () => connection.close() };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/**
 * MONGODB_URL when set; otherwise an embedded MongoDB-compatible server inside this process,
 * meant for development and tests, optionally keeping its data in `dataDir`.
 */
export async function openCatalogDatabase(options: {
  url: string | undefined;
  dataDir: string | undefined;
  logger: Logger;
  production: boolean;
}): Promise<CatalogDatabase> {
  const { logger } = options;
  if (options.url) {
    logger.info({ host: new URL(options.url).host }, 'catalog database: MongoDB at MONGODB_URL');
    return connectCatalog(options.url);
  }
  // A devDependency, loaded only here: production images do not contain it.
  const { start: startEmbeddedMongo } = await import('@shop/mongo-embedded');
  const embedded = await startEmbeddedMongo({ port: 0, dataDir: options.dataDir });
  const where = options.dataDir ? `data in ${options.dataDir}` : 'in memory only';
  const message = `catalog database: embedded MongoDB-compatible server on ${embedded.uri} (${where}); set MONGODB_URL to use a real MongoDB`;
  if (options.production) logger.warn(message);
  else logger.info(message);
  try {
    const database = await connectCatalog(`${embedded.uri}/${DEFAULT_DATABASE}`);
    return {
      ...database,
      close: async () => {
        await database.close();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
