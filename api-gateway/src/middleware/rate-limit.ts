import type { Request } from 'express';
import { rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Redis } from 'ioredis';
import { TooManyRequestsError, type Logger } from '@shop/service-kit';

export interface RateLimitSettings {
  windowMs: number;
  limit: number;
  /** Redis key prefix; each limiter and each test gets its own. */
  prefix: string;
  redis: Redis;
  logger: Logger;
  detail: string;
}

/**
 * A limiter whose counts live in Redis, so the limit holds across every gateway replica.
 *
 * When Redis is down the gateway fails open: requests pass without counting and a warning is
 * logged. Rate limiting protects the services, but refusing every customer because the counter
 * store is down would turn a Redis outage into a full outage. /ready reports Redis as down, so an
 * orchestrator still notices.
 */
export function redisRateLimit(settings: RateLimitSettings): RateLimitRequestHandler {
  const { redis, logger } = settings;
  const warnOpen = throttled(
    () => logger.warn('rate limiting is off while Redis is unreachable (failing open)'),
    settings.windowMs,
  );
  return rateLimit({
    windowMs: settings.windowMs,
    limit: settings.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RedisStore({
      prefix: settings.prefix,
      sendCommand: (command: string, ...args: string[]) =>
        redis.call(command, ...args) as Promise<RedisReply>,
    }),
    passOnStoreError: true,
    // A Redis that is known to be down would make each request wait on a command that cannot
    // succeed; skip counting at once instead.
    skip: () => {
      if (redis.status === 'ready') return false;
      warnOpen();
      return true;
    },
    handler: (_req: Request, _res, next) => next(TooManyRequestsError(settings.detail)),
    logger: {
      warn: (error, message) => logger.warn({ err: error }, message ?? 'rate limiter warning'),
      error: (error, message) => logger.warn({ err: error }, message ?? 'rate limiter error'),
    },
  });
}

function throttled(fn: () => void, intervalMs: number): () => void {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    fn();
  };
}
