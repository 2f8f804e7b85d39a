import { hostname } from 'node:os';
import { calculateObjectSize } from 'bson';
import type { Document } from '../documents';
import type { Collection } from '../storage/collection';
import type { CommandHandler } from './context';
import { namespaceOf } from './context';
import { SERVER_VERSION } from './handshake';
import { requiredString } from './fields';

/*
 * Status commands with mongod's field names. Sizes are the BSON sizes of the documents held
 * in memory: there is no storage engine overhead or compression to report.
 */

function dataSize(collection: Collection): number {
  return collection.all().reduce((total, document) => total + calculateObjectSize(document), 0);
}

const serverStatus: CommandHandler = (context) => {
  const uptimeMillis = Date.now() - context.server.startedAt.getTime();
  const { current, totalCreated } = context.server.connections();
  return {
    host: hostname(),
    version: SERVER_VERSION,
    process: 'mongod',
    pid: process.pid,
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis,
    uptimeEstimate: Math.floor(uptimeMillis / 1000),
    localTime: new Date(),
    connections: { current, available: 1_000_000 - current, totalCreated },
    storageEngine: { name: 'mongo-embedded', supportsCommittedReads: false, persistent: true },
    mem: { bits: 64, resident: Math.round(process.memoryUsage().rss / 1024 / 1024) },
    ok: 1,
  };
};

const dbStats: CommandHandler = (context) => {
  const collections = context.store.collections(context.databaseName);
  const objects = collections.reduce((total, collection) => total + collection.documentCount, 0);
  const size = collections.reduce((total, collection) => total + dataSize(collection), 0);
  const indexes = collections.reduce(
    (total, collection) => total + collection.indexDefinitions().length,
    0,
  );
  return {
    db: context.databaseName,
    collections: collections.length,
    views: 0,
    objects,
    avgObjSize: objects === 0 ? 0 : size / objects,
    dataSize: size,
    storageSize: size,
    indexes,
    indexSize: 0,
    totalSize: size,
    scaleFactor: 1,
    ok: 1,
  };
};

/** Removed from mongosh's helpers but still a command in 7.0; a missing collection is zeros. */
const collStats: CommandHandler = (context) => {
  const collectionName = requiredString(context.command, 'collStats');
  const collection = context.store.find(context.databaseName, collectionName);
  const count = collection?.documentCount ?? 0;
  const size = collection ? dataSize(collection) : 0;
  const names = collection?.indexDefinitions().map((definition) => definition.name) ?? [];
  const reply: Document = {
    ns: namespaceOf(context, collectionName),
    size,
    count,
    storageSize: size,
    totalSize: size,
    nindexes: names.length,
    totalIndexSize: 0,
    indexSizes: Object.fromEntries(names.map((name) => [name, 0])),
    scaleFactor: 1,
    capped: false,
    ok: 1,
  };
  if (count > 0) reply['avgObjSize'] = Math.floor(size / count);
  return reply;
};

export const statusCommands: Record<string, CommandHandler> = {
  serverStatus,
  dbStats,
  dbstats: dbStats,
  collStats,
  collstats: collStats,
};
