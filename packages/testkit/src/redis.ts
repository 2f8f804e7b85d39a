import type { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix`, with SCAN rather than KEYS so a large shared Redis is never
 * blocked while a test cleans up after itself.
 */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
