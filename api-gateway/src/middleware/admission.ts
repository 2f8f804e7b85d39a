import type { NextFunction, Request, Response } from 'express';
import type { Redis, Result } from 'ioredis';
import { TooManyRequestsError, type Logger } from '@shop/service-kit';
import { judgeWindow, type RateLimitPolicy } from '../domain/rate-window';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gatewayAdmit(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<number[], Context>;
  }
}

/**
 * Counts the request in each of its limit windows and reads the session's revocation mark, in
 * one script: one round trip to Redis per request however many limits apply. Each counter is
 * INCR, and a window opens (PEXPIRE) on its first hit; the reply is hits and milliseconds left
 * per counter, then whether the revocation key exists (0 when none was asked for).
 */
const ADMIT_SCRIPT = `
local counters = tonumber(ARGV[1])
local reply = {}
for i = 1, counters do
  local hits = redis.call('INCR', KEYS[i])
  local left = redis.call('PTTL', KEYS[i])
  if left < 0 then
    left = tonumber(ARGV[i + 1])
    redis.call('PEXPIRE', KEYS[i], left)
  end
  reply[#reply + 1] = hits
  reply[#reply + 1] = left
end
if #KEYS > counters then
  reply[#reply + 1] = redis.call('EXISTS', KEYS[#KEYS])
else
  reply[#reply + 1] = 0
end
return reply
`;

export interface AdmissionSettings {
  redis: Redis;
  logger: Logger;
  /** Every request under /api, per client address. */
  everyRequest: RateLimitPolicy;
  /** Logins and registrations, per client address, on top of the above. */
  credentials: RateLimitPolicy;
  /** Redis key prefix of the counters; replicas that share it share their limits. */
  prefix: string;
  /** Where user-service marks ended sessions: `${prefix}${sid}`. */
  revokedSessionPrefix: string;
}

export interface AdmissionRequest {
  credentialAttempt: boolean;
  /** The verified token's session, if the request carries one. */
  sessionId: string | undefined;
}

export interface Admission {
  /**
   * Counts the request against its limits (429 when over one) and tells whether its session has
   * ended. Sets the RateLimit headers on `res`.
   */
  admit(req: Request, res: Response, request: AdmissionRequest): Promise<{ revoked: boolean }>;
  /** For /api requests no gateway route matched (docs, unknown paths): the general limit only. */
  middleware(): (req: Request, res: Response, next: NextFunction) => void;
}

/**
 * Rate limits whose counts live in Redis, so the limit holds across every gateway replica, and
 * the session revocation check, in the same round trip.
 *
 * When Redis is down the gateway fails open: requests pass without counting and without the
 * revocation check, and a warning is logged. Rate limiting protects the services, but refusing
 * every customer because the counter store is down would turn a Redis outage into a full outage.
 * /ready reports Redis as down, so an orchestrator still notices.
 */
export function createAdmission(settings: AdmissionSettings): Admission {
  const { redis, logger } = settings;
  redis.defineCommand('gatewayAdmit', { lua: ADMIT_SCRIPT });
  const warnOpen = throttled(
    (error?: unknown) =>
      logger.warn(
        error ? { err: error } : {},
        'rate limiting and session checks are off while Redis is unreachable (failing open)',
      ),
    settings.everyRequest.windowMs,
  );
  const everyDetail = `At most ${settings.everyRequest.limit} requests per ${settings.everyRequest.windowMs / 1000} s`;
  const credentialDetail = `At most ${settings.credentials.limit} logins and registrations per ${settings.credentials.windowMs / 1000} s`;

  async function admit(
    req: Request,
    res: Response,
    request: AdmissionRequest,
  ): Promise<{ revoked: boolean }> {
    // A Redis that is known to be down would make each request wait on a command that cannot
    // succeed; skip at once instead.
    if (redis.status !== 'ready') {
      warnOpen();
      return { revoked: false };
    }
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const policies = request.credentialAttempt
      ? [settings.everyRequest, settings.credentials]
      : [settings.everyRequest];
    const keys = request.credentialAttempt
      ? [`${settings.prefix}all:${client}`, `${settings.prefix}credentials:${client}`]
      : [`${settings.prefix}all:${client}`];
    if (request.sessionId !== undefined) {
      keys.push(`${settings.revokedSessionPrefix}${request.sessionId}`);
    }
    let reply: number[];
    try {
      reply = await redis.gatewayAdmit(
        keys.length,
        ...keys,
        policies.length,
        ...policies.map((policy) => policy.windowMs),
      );
    } catch (error) {
      warnOpen(error);
      return { revoked: false };
    }
    for (const [index, policy] of policies.entries()) {
      const verdict = judgeWindow(policy, {
        hits: reply[index * 2]!,
        remainingMs: reply[index * 2 + 1]!,
      });
      res.append('RateLimit', verdict.rateLimit);
      res.append('RateLimit-Policy', verdict.policy);
      if (verdict.exceeded) {
        throw TooManyRequestsError(
          index === 0 ? everyDetail : credentialDetail,
          verdict.retryAfterSeconds,
        );
      }
    }
    return { revoked: reply[policies.length * 2] === 1 };
  }

  return {
    admit,
    middleware: () => (req, res, next) => {
      admit(req, res, { credentialAttempt: false, sessionId: undefined }).then(() => next(), next);
    },
  };
}

function throttled<Args extends unknown[]>(
  fn: (...args: Args) => void,
  intervalMs: number,
): (...args: Args) => void {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    fn(...args);
  };
}
