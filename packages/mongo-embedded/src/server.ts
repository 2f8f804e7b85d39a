import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { scramUser } from './auth/scram';
import { Connection } from './connection';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import { CursorRegistry } from './query/cursors';
import { SnapshotWriter, loadSnapshots } from './storage/persistence';
import { Store } from './storage/store';

export interface StartOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1 so nothing is exposed beyond the machine. */
  host?: string;
  /** Directory for collection snapshots; without it everything is lost on stop. */
  dataDir?: string;
  logger?: Logger;
  /**
   * A user every connection must authenticate as with SCRAM-SHA-256, in the admin database:
   * mongodb://name:password@host:port/db?authSource=admin. Without it there is no auth.
   */
  auth?: { username: string; password: string };
}

export interface EmbeddedMongo {
  /** A connection string without a database, e.g. mongodb://127.0.0.1:27017; append "/db". */
  uri: string;
  port: number;
  /** Closes every connection, then writes pending snapshots. Safe to call twice. */
  stop(): Promise<void>;
}

export async function start(options: StartOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const store = new Store();
  let snapshots: SnapshotWriter | undefined;
  if (options.dataDir !== undefined) {
    await loadSnapshots(options.dataDir, store);
    const writer = new SnapshotWriter(options.dataDir, store, logger);
    store.onChange((databaseName, collectionName) =>
      writer.markChanged(databaseName, collectionName),
    );
    snapshots = writer;
  }

  const cursors = new CursorRegistry();
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  const server = {
    startedAt: new Date(),
    connections: () => ({ current: sockets.size, totalCreated: connections }),
  };
  const state = {
    store,
    cursors,
    logger,
    server,
    user: options.auth ? scramUser(options.auth.username, options.auth.password) : undefined,
    sync: () => snapshots?.flush() ?? Promise.resolve(),
    nextRequestId: () => (requests = (requests + 1) | 0),
  };
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Connection(socket, ++connections, state);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, host, () => {
      listener.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    cursors.close();
    throw error;
  });
  const { port } = listener.address() as AddressInfo;
  const uri = `mongodb://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info(
    `mongo-embedded: listening on ${uri}${options.dataDir ? ` (data in ${options.dataDir})` : ''}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      // Drivers keep pooled connections open; close() alone would wait for them forever.
      for (const socket of sockets) socket.destroy();
      await closed;
      cursors.close();
      await snapshots?.flush();
      logger.info('mongo-embedded: stopped');
    })();
    return stopping;
  };
  return { uri, port, stop };
}
