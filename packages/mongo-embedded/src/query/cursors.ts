import { randomInt } from 'node:crypto';
import { Long, calculateObjectSize } from 'bson';
import { CommandError } from '../errors';
import type { Document } from '../documents';
import { MAX_BSON_OBJECT_SIZE } from '../wire/opcodes';

/** mongod's default size of a first batch when the client names none. */
const DEFAULT_FIRST_BATCH_SIZE = 101;
/** mongod reaps cursors idle for 10 minutes (cursorTimeoutMillis). */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** Room left in a 16 MiB reply for the cursor envelope around the batch. */
const BATCH_BYTES_LIMIT = MAX_BSON_OBJECT_SIZE - 16 * 1024;

interface OpenCursor {
  namespace: string;
  remaining: Document[];
  lastUsed: number;
}

export interface BatchOptions {
  batchSize?: number | undefined;
  /** Close the cursor after the first batch whatever remains (find's singleBatch). */
  singleBatch?: boolean | undefined;
}

/**
 * Server-wide open cursors. A query's results are computed in full when it runs and handed
 * out in batches; they are shared by all connections because a driver may send getMore on
 * any connection of its pool.
 */
export class CursorRegistry {
  private readonly cursors = new Map<number, OpenCursor>();
  private nextId = randomInt(1, 2 ** 40);
  private readonly reaper = setInterval(() => this.reapIdle(), 60 * 1000).unref();

  /** The `cursor` field of a find, aggregate or list* reply. */
  open(namespace: string, results: Document[], options: BatchOptions = {}): Document {
    const firstBatch = takeBatch(results, options.batchSize ?? DEFAULT_FIRST_BATCH_SIZE);
    let id = 0;
    if (results.length > 0 && !options.singleBatch) {
      id = this.nextId++;
      this.cursors.set(id, { namespace, remaining: results, lastUsed: Date.now() });
    }
    return { firstBatch, id: Long.fromNumber(id), ns: namespace };
  }

  /** The `cursor` field of a getMore reply. */
  next(id: number, namespace: string, batchSize: number | undefined): Document {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.namespace !== namespace) {
      throw new CommandError(
        'Unauthorized',
        `Requested getMore on namespace '${namespace}', but cursor belongs to a different namespace ${cursor.namespace}`,
      );
    }
    const nextBatch = takeBatch(cursor.remaining, batchSize || Infinity);
    cursor.lastUsed = Date.now();
    if (cursor.remaining.length === 0) this.cursors.delete(id);
    return {
      nextBatch,
      id: Long.fromNumber(cursor.remaining.length === 0 ? 0 : id),
      ns: namespace,
    };
  }

  kill(ids: number[]): { killed: number[]; notFound: number[] } {
    const killed = ids.filter((id) => this.cursors.delete(id));
    return { killed, notFound: ids.filter((id) => !killed.includes(id)) };
  }

  close(): void {
    clearInterval(this.reaper);
    this.cursors.clear();
  }

  private reapIdle(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const [id, cursor] of this.cursors) {
      if (cursor.lastUsed < cutoff) this.cursors.delete(id);
    }
  }
}

/** Removes and returns up to `count` results, stopping early so the reply stays under 16 MiB. */
function takeBatch(results: Document[], count: number): Document[] {
  let taken = 0;
  let bytes = 0;
  while (taken < results.length && taken < count) {
    const document = results[taken] as Document;
    bytes += calculateObjectSize(document, { ignoreUndefined: true });
    if (taken > 0 && bytes > BATCH_BYTES_LIMIT) break;
    taken++;
  }
  return results.splice(0, taken);
}
