import type { Redis } from 'ioredis';
import { UnavailableError } from '@shop/service-kit';

/**
 * Where ended sessions are listed for the gateway, which refuses their access tokens
 * (docs/architecture.md, "Public API"). An entry needs to outlive only the longest-lived access
 * token of that session.
 */
export interface SessionRevocations {
  revoke(sessionIds: readonly string[]): Promise<void>;
}

/**
 * `${prefix}${sessionId}` = "1" with PX = the access-token lifetime: the key layout the gateway
 * reads (REVOKED_SESSION_PREFIX, shared by both services).
 */
export function redisSessionRevocations(options: {
  redis: Redis;
  prefix: string;
  accessTokenTtlMs: number;
}): SessionRevocations {
  return {
    async revoke(sessionIds) {
      if (sessionIds.length === 0) return;
      const writes = options.redis.multi();
      for (const sessionId of sessionIds) {
        writes.set(`${options.prefix}${sessionId}`, '1', 'PX', options.accessTokenTtlMs);
      }
      try {
        const results = await writes.exec();
        const failed = results?.find(([error]) => error !== null);
        if (!results || failed) throw failed?.[0] ?? new Error('the transaction was discarded');
      } catch (error) {
        throw UnavailableError('The session could not be ended; try again', error);
      }
    },
  };
}
