import { createHash } from 'node:crypto';
import { promClient, type Logger, type MetricsRegistry } from '@shop/service-kit';
import type { Redis } from 'ioredis';

export interface CatalogCacheSettings {
  /** Put before every key, so several services (and test suites) can share one Redis. */
  keyPrefix: string;
  productTtlSeconds: number;
  listTtlSeconds: number;
  /** How long one replica may hold the right to load a missing key before others load too. */
  lockTtlMs: number;
  /** How long a replica that lost that race waits for the winner's value before loading itself. */
  lockWaitMs: number;
}

export type CacheKind = 'product' | 'list';

export interface CatalogCache {
  /**
   * Cache-aside read; `load` runs only on a miss, at most once at a time per key per process.
   * A null answer (no such product) is passed on but not cached.
   */
  read<T>(kind: CacheKind, id: string, load: () => Promise<T>): Promise<T>;
  /**
   * Several products by id, from the same entries `read('product', id)` uses: the cached ones
   * in one round trip, the rest from one call of `loadMissing`, which answers the live ones.
   */
  readProducts<T>(
    ids: readonly string[],
    loadMissing: (ids: string[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>>;
  /** After every write: makes every cached product and list page stale at once. */
  catalogChanged(): Promise<void>;
}

const POLL_INTERVAL_MS = 20;

// The catalog version and the entries stored under it, in one round trip: reading the version
// first and the entries after would cost two. KEYS[1] is the version; ARGV[1] the key stem
// (prefix and kind), the rest the names. The entry keys are built here, so this needs one Redis,
// not a cluster.
const VERSIONED_GET = `
local version = redis.call('GET', KEYS[1]) or '0'
local found = { version }
for i = 2, #ARGV do
  found[i] = redis.call('GET', ARGV[1] .. ':v' .. version .. ':' .. ARGV[i])
end
return found
`;

type VersionedGet = (versionKey: string, stem: string, ...names: string[]) => Promise<unknown>;

/**
 * Redis cache-aside for products and list pages. Every key carries the catalog version, which
 * every write increments: a write thus invalidates all list pages at once, and a read that
 * loaded old data just before a write stores it under a version nobody asks for any more.
 * Redis is an optimisation only: any failure of it is counted and the read goes to MongoDB.
 */
export function createCatalogCache(options: {
  redis: Redis;
  settings: CatalogCacheSettings;
  metrics: MetricsRegistry;
  logger: Logger;
}): CatalogCache {
  const { redis, settings, logger } = options;
  // Each read counts by kind (one product or a list page); errors count by Redis operation.
  const counter = <L extends string>(name: string, help: string, label: L) =>
    new promClient.Counter<L>({ name, help, labelNames: [label], registers: [options.metrics] });
  const hits = counter('cache_hits_total', 'Catalog reads answered from Redis', 'kind');
  const misses = counter(
    'cache_misses_total',
    'Catalog reads not found in Redis (or with Redis unavailable)',
    'kind',
  );
  const loads = counter(
    'cache_loads_total',
    'MongoDB loads caused by misses; fewer than misses when concurrent misses share a load',
    'kind',
  );
  const errors = counter(
    'cache_errors_total',
    'Redis commands of the catalog cache that failed or timed out',
    'operation',
  );
  const inFlight = new Map<string, Promise<unknown>>();
  const versionKey = `${settings.keyPrefix}catalog:version`;
  // Set when a write could not invalidate: until the bump succeeds, this replica must not trust
  // anything cached, or it would serve what was there before its own write.
  let invalidationOwed = false;

  async function attempt<T>(operation: string, command: () => Promise<T>): Promise<T | undefined> {
    try {
      return await command();
    } catch (error) {
      errors.inc({ operation });
      logger.debug({ err: error, operation }, 'catalog cache unavailable');
      return undefined;
    }
  }

  const ttlOf = (kind: CacheKind) =>
    kind === 'product' ? settings.productTtlSeconds : settings.listTtlSeconds;

  function decode<T>(text: unknown): T | undefined {
    if (typeof text !== 'string') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      // An unreadable entry is a miss; the load that follows overwrites it.
      errors.inc({ operation: 'decode' });
      return undefined;
    }
  }

  async function cached<T>(key: string): Promise<T | undefined> {
    return decode<T>(await attempt('get', () => redis.get(key)));
  }

  async function waitForOtherLoader<T>(key: string): Promise<T | undefined> {
    const deadline = Date.now() + settings.lockWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      const value = await cached<T>(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  async function loadAndStore<T>(kind: CacheKind, key: string, load: () => Promise<T>): Promise<T> {
    // Across replicas: one loads, the others wait a moment for its value. A failed lock command
    // means Redis is unwell, and then loading without it is the safe choice.
    const lockKey = `${key}:loading`;
    const locked = await attempt('lock', () =>
      redis.set(lockKey, '1', 'PX', settings.lockTtlMs, 'NX'),
    );
    if (locked === null) {
      const value = await waitForOtherLoader<T>(key);
      if (value !== undefined) return value;
    }
    loads.inc({ kind });
    try {
      const value = await load();
      if (value !== null) {
        await attempt('set', () => redis.set(key, JSON.stringify(value), 'EX', ttlOf(kind)));
      }
      return value;
    } finally {
      if (locked === 'OK') await attempt('unlock', () => redis.del(lockKey));
    }
  }

  function once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async function invalidate(): Promise<boolean> {
    const bumped = await attempt('invalidate', () => redis.incr(versionKey));
    invalidationOwed = bumped === undefined;
    return !invalidationOwed;
  }

  redis.on('ready', () => {
    if (invalidationOwed) void invalidate();
  });

  redis.defineCommand('versionedGet', { numberOfKeys: 1, lua: VERSIONED_GET });
  // defineCommand adds the method at run time; ioredis types it only by augmenting its module,
  // which would claim the command on every Redis client in the program.
  const versionedGet = (redis as unknown as { versionedGet: VersionedGet }).versionedGet.bind(
    redis,
  );

  /**
   * The current version and the named entries under it; undefined when Redis cannot say, and
   * then nothing cached may be trusted nor stored.
   */
  async function versioned(
    kind: CacheKind,
    names: readonly string[],
  ): Promise<{ version: string; entries: unknown[] } | undefined> {
    if (invalidationOwed && !(await invalidate())) return undefined;
    const answer = await attempt('get', () =>
      versionedGet(versionKey, `${settings.keyPrefix}${kind}`, ...names),
    );
    if (!Array.isArray(answer) || typeof answer[0] !== 'string') return undefined;
    return { version: answer[0], entries: answer.slice(1) };
  }

  const keyOf = (kind: CacheKind, version: string, name: string) =>
    `${settings.keyPrefix}${kind}:v${version}:${name}`;

  return {
    async read<T>(kind: CacheKind, id: string, load: () => Promise<T>) {
      // Long list queries are hashed so keys stay short; product ids are short already.
      const name = kind === 'product' ? id : createHash('sha1').update(id).digest('base64url');
      const found = await versioned(kind, [name]);
      if (!found) {
        // No sharing of loads here: without a version in the key, a load that began before a
        // write could be handed to a read that began after it.
        misses.inc({ kind });
        loads.inc({ kind });
        return load();
      }
      const hit = decode<T>(found.entries[0]);
      if (hit !== undefined) {
        hits.inc({ kind });
        return hit;
      }
      misses.inc({ kind });
      const key = keyOf(kind, found.version, name);
      return once(key, () => loadAndStore(kind, key, load));
    },

    async readProducts<T>(
      ids: readonly string[],
      loadMissing: (ids: string[]) => Promise<Map<string, T>>,
    ) {
      const found = await versioned('product', ids);
      const products = new Map<string, T>();
      const missing: string[] = [];
      ids.forEach((id, i) => {
        const hit = found ? decode<T>(found.entries[i]) : undefined;
        if (hit === undefined) missing.push(id);
        else products.set(id, hit);
      });
      hits.inc({ kind: 'product' }, products.size);
      if (missing.length === 0) return products;
      misses.inc({ kind: 'product' }, missing.length);
      // A burst of misses after a write loads each product once per request rather than
      // waiting on other replicas: an _id lookup is cheap, unlike a list page.
      loads.inc({ kind: 'product' });
      const loaded = await loadMissing(missing);
      if (found && loaded.size > 0) {
        // Stored under the version read before the load: if a write came in between, these
        // entries sit under a version nobody reads any more.
        const batch = redis.pipeline();
        for (const [id, product] of loaded) {
          batch.set(
            keyOf('product', found.version, id),
            JSON.stringify(product),
            'EX',
            ttlOf('product'),
          );
        }
        await attempt('set', () => batch.exec());
      }
      for (const [id, product] of loaded) products.set(id, product);
      return products;
    },

    async catalogChanged() {
      if (!(await invalidate())) {
        logger.warn(
          {
            productTtlSeconds: settings.productTtlSeconds,
            listTtlSeconds: settings.listTtlSeconds,
          },
          'could not invalidate the catalog cache; retrying when Redis is back, other replicas may serve cached entries until then or their TTL',
        );
      }
    },
  };
}
