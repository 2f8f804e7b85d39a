import type { Logger } from '@shop/service-kit';
import { Redis } from 'ioredis';

/**
 * A Redis client tuned for a cache that must never slow the catalog down: commands fail at once
 * while disconnected (no offline queue, no retries) and time out after `commandTimeoutMs`,
 * while the client keeps reconnecting in the background.
 */
export function createCacheRedis(
  url: string,
  logger: Logger,
  options: { commandTimeoutMs?: number; maxReconnectDelayMs?: number } = {},
): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 200,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
  });
  // One line per outage rather than one per reconnect attempt.
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, 'cache unavailable (Redis); reading from MongoDB until it is back');
  });
  redis.on('ready', () => {
    if (down) logger.info('cache available again (Redis)');
    down = false;
  });
  return redis;
}

/** Resolves once the client is connected, or after `timeoutMs` (false): the cache is optional. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    function onReady() {
      clearTimeout(timer);
      resolve(true);
    }
    redis.once('ready', onReady);
  });
}
