import { mkdir, open, readFile, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fromBson, isDocument, toBson } from '../documents';
import type { Document } from '../documents';
import type { Logger } from '../logger';
import type { IndexDefinition } from './indexes';
import { ID_INDEX_NAME } from './indexes';
import type { Store } from './store';

/*
 * Snapshot layout: <dataDir>/<database>/<collection>.bson holds concatenated BSON documents
 * (as mongodump writes them); the first is a header naming the collection, its options and
 * its indexes, the rest are the documents in natural order.
 */

const FORMAT = 'shop-mongo-embedded/collection';
const FORMAT_VERSION = 1;
const SNAPSHOT_SUFFIX = '.bson';
const TEMPORARY_SUFFIX = '.tmp';
/** Long enough to fold a burst of writes into one file write, short enough to lose little. */
const WRITE_DELAY_MS = 50;

/** Writes a collection's snapshot some milliseconds after it changes, and on stop. */
export class SnapshotWriter {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private temporaryCounter = 0;

  constructor(
    private readonly dataDir: string,
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  markChanged(databaseName: string, collectionName: string): void {
    this.dirty.add(JSON.stringify([databaseName, collectionName]));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((error: unknown) =>
        this.logger.error(`mongo-embedded: writing snapshots failed: ${String(error)}`),
      );
    }, WRITE_DELAY_MS);
  }

  /**
   * Writes every pending change; resolves once the disk matches memory as of this call.
   * A namespace whose write fails stays pending, so the next flush (at the latest on stop)
   * tries it again, and the failure is reported.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = [...this.dirty];
    this.dirty.clear();
    const write = async (): Promise<void> => {
      let failure: unknown;
      for (const key of keys) {
        const [databaseName, collectionName] = JSON.parse(key) as [string, string];
        try {
          await this.writeNamespace(databaseName, collectionName);
        } catch (error) {
          this.dirty.add(key);
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    };
    // Chained so that two flushes never write the same file at once, even after a failure.
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  private async writeNamespace(databaseName: string, collectionName: string): Promise<void> {
    const directory = path.join(this.dataDir, fileName(databaseName));
    const file = path.join(directory, fileName(collectionName) + SNAPSHOT_SUFFIX);
    const collection = this.store.find(databaseName, collectionName);
    if (!collection) {
      await unlink(file).catch(ignoreCode('ENOENT'));
      await rmdir(directory).catch(ignoreCode('ENOENT', 'ENOTEMPTY'));
      return;
    }
    // Encoded before the first await, so the snapshot is one consistent moment of the collection.
    const header = {
      format: FORMAT,
      version: FORMAT_VERSION,
      database: databaseName,
      collection: collectionName,
      options: collection.options,
      indexes: collection.indexDefinitions().filter((index) => index.name !== ID_INDEX_NAME),
    };
    const contents = Buffer.concat([toBson(header), ...collection.all().map(toBson)]);
    await mkdir(directory, { recursive: true });
    const temporary = `${file}.${process.pid}.${++this.temporaryCounter}${TEMPORARY_SUFFIX}`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  }
}

/** Reads every snapshot under dataDir into the store. A damaged file stops the start. */
export async function loadSnapshots(dataDir: string, store: Store): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  for (const database of await readdir(dataDir, { withFileTypes: true })) {
    if (!database.isDirectory()) continue;
    const directory = path.join(dataDir, database.name);
    for (const entry of await readdir(directory)) {
      const file = path.join(directory, entry);
      // Left by a process that died mid-write; the snapshot it was replacing is intact.
      if (entry.endsWith(TEMPORARY_SUFFIX)) await unlink(file).catch(ignoreCode('ENOENT'));
      if (!entry.endsWith(SNAPSHOT_SUFFIX)) continue;
      try {
        restoreCollection(await readFile(file), store);
      } catch (error) {
        throw new Error(`mongo-embedded: cannot read snapshot ${file}: ${String(error)}`, {
          cause: error,
        });
      }
    }
  }
}

function restoreCollection(contents: Buffer, store: Store): void {
  const [header, ...documents] = splitDocuments(contents);
  if (!header || header['format'] !== FORMAT || header['version'] !== FORMAT_VERSION) {
    throw new Error('not a mongo-embedded collection snapshot');
  }
  const databaseName: unknown = header['database'];
  const collectionName: unknown = header['collection'];
  const options: unknown = header['options'];
  const indexes: unknown = header['indexes'];
  if (
    typeof databaseName !== 'string' ||
    typeof collectionName !== 'string' ||
    !isDocument(options) ||
    !Array.isArray(indexes)
  ) {
    throw new Error('snapshot header is incomplete');
  }
  const collection = store.newCollection(databaseName, collectionName, options);
  for (const definition of indexes) {
    collection.createIndex(definition as IndexDefinition);
  }
  for (const document of documents) collection.insert(document);
  store.restore(collection);
}

function splitDocuments(contents: Buffer): Document[] {
  const documents: Document[] = [];
  let offset = 0;
  while (offset < contents.length) {
    if (offset + 4 > contents.length) throw new Error('truncated document');
    const size = contents.readInt32LE(offset);
    if (size < 5 || offset + size > contents.length) throw new Error('truncated document');
    documents.push(fromBson(contents.subarray(offset, offset + size)));
    offset += size;
  }
  return documents;
}

/** Database and collection names may hold characters a file name must not (and "." leads). */
function fileName(name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

function ignoreCode(...codes: string[]) {
  return (error: unknown): void => {
    if (!(error instanceof Error && 'code' in error && codes.includes(String(error.code)))) {
      throw error;
    }
  };
}
