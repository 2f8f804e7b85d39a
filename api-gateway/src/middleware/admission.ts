import type { OutgoingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Redis, Result } from 'ioredis';
import { TooManyRequestsError, type Logger } from '@shop/service-kit';
import { judgeWindow, type RateLimitPolicy, type RateWindow } from '../domain/rate-window';
import { LiveSessions } from '../domain/live-sessions';
import { Tallies } from '../domain/tallies';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gatewayAdmit(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<number[], Context>;
  }
}

/**
 * Adds hits to each counter and reads the session's revocation mark, in one script: one round
 * trip to Redis however many limits apply. Each counter is INCRBY, and a window opens (PEXPIRE)
 * on its first hit; the reply is hits and milliseconds left per counter, then whether the
 * revocation key exists (0 when none was asked for). ARGV: the number of counters, then each
 * counter's window and the hits to add.
 */
const ADMIT_SCRIPT = `
local counters = tonumber(ARGV[1])
local reply = {}
for i = 1, counters do
  local hits = redis.call('INCRBY', KEYS[i], tonumber(ARGV[2 * i + 1]))
  local left = redis.call('PTTL', KEYS[i])
  if left < 0 then
    left = tonumber(ARGV[2 * i])
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
  /** How long locally judged hits wait to share one script (a few ms of a busy gateway's requests). */
  batchMs: number;
  /**
   * How long Redis's "this session has not ended" holds for this replica; an ended session is
   * refused within this long. 0 asks Redis on every request that carries a session.
   */
  sessionCheckMs: number;
  /** For tests: the clock of the local tallies. */
  now?: () => number;
}

export interface AdmissionRequest {
  credentialAttempt: boolean;
  /** The verified token's session, if the request carries one. */
  sessionId: string | undefined;
}

export interface Admission {
  /**
   * Counts a request of the client at `clientAddress` against its limits (429 when over one) and
   * tells whether its session has ended. Adds the RateLimit headers to `answer`, the headers of
   * whatever the request is answered with, the 429 included.
   */
  admit(
    clientAddress: string,
    request: AdmissionRequest,
    answer: OutgoingHttpHeaders,
  ): Promise<{ revoked: boolean }>;
  /** For /api requests no gateway route matched (docs, unknown paths): the general limit only. */
  middleware(): (req: Request, res: Response, next: NextFunction) => void;
}

interface Counter {
  key: string;
  policy: RateLimitPolicy;
}

/**
 * Rate limits whose counts live in Redis, so the limit holds across every gateway replica, and
 * the session revocation check.
 *
 * A login or registration, a request whose session Redis has not confirmed in the last
 * `sessionCheckMs`, and one whose client is new to this replica or near its limit wait for
 * Redis: hits and session check in one script, an exact verdict. Any other request (a client
 * well under its limit, per this replica's fresh answer from Redis) is judged from that answer
 * plus the hits counted here since, and its hit goes in the next batch, one script for every
 * such request of the next few milliseconds. That keeps Redis off the latency of most requests
 * without loosening the limit (the bound is in domain/tallies.ts), and refuses an ended session
 * within `sessionCheckMs` (domain/live-sessions.ts).
 *
 * When Redis is down the gateway fails open: requests pass without counting and without the
 * revocation check, and a warning is logged. Rate limiting protects the services, but refusing
 * every customer because the counter store is down would turn a Redis outage into a full outage.
 * /ready reports Redis as down, so an orchestrator still notices.
 */
export function createAdmission(settings: AdmissionSettings): Admission {
  const { redis, logger } = settings;
  const now = settings.now ?? Date.now;
  const tallies = new Tallies(now);
  const liveSessions = new LiveSessions(now, settings.sessionCheckMs);
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

  function send(counters: Counter[], hits: number[], sessionKey?: string): Promise<number[]> {
    const keys = counters.map((counter) => counter.key);
    if (sessionKey !== undefined) keys.push(sessionKey);
    return redis.gatewayAdmit(
      keys.length,
      ...keys,
      counters.length,
      ...counters.flatMap((counter, index) => [counter.policy.windowMs, hits[index]!]),
    );
  }

  function learn(counters: Counter[], reply: number[]): RateWindow[] {
    return counters.map(({ key, policy }, index) =>
      tallies.learn(key, policy, { hits: reply[index * 2]!, remainingMs: reply[index * 2 + 1]! }),
    );
  }

  let batchScheduled = false;
  function flushSoon(): void {
    if (batchScheduled) return;
    batchScheduled = true;
    setTimeout(() => {
      batchScheduled = false;
      const batch = tallies.takeUnsent();
      if (batch.length === 0) return;
      const counters = batch.map(({ key, policy }) => ({ key, policy }));
      send(
        counters,
        batch.map((entry) => entry.hits),
      ).then(
        (reply) => learn(counters, reply),
        (error: unknown) => {
          tallies.forget(batch.map((entry) => entry.key));
          warnOpen(error);
        },
      );
    }, settings.batchMs).unref();
  }

  function judge(answer: OutgoingHttpHeaders, counters: Counter[], readings: RateWindow[]): void {
    for (const [index, { policy }] of counters.entries()) {
      const verdict = judgeWindow(policy, readings[index]!);
      appendHeader(answer, 'ratelimit', verdict.rateLimit);
      appendHeader(answer, 'ratelimit-policy', verdict.policy);
      if (verdict.exceeded) {
        throw TooManyRequestsError(
          policy === settings.credentials ? credentialDetail : everyDetail,
          verdict.retryAfterSeconds,
        );
      }
    }
  }

  async function admit(
    clientAddress: string,
    request: AdmissionRequest,
    answer: OutgoingHttpHeaders,
  ): Promise<{ revoked: boolean }> {
    // A Redis that is known to be down would make each request wait on a command that cannot
    // succeed; skip at once instead.
    if (redis.status !== 'ready') {
      warnOpen();
      return { revoked: false };
    }
    const counters: Counter[] = [
      { key: `${settings.prefix}all:${clientAddress}`, policy: settings.everyRequest },
    ];
    if (request.credentialAttempt) {
      counters.push({
        key: `${settings.prefix}credentials:${clientAddress}`,
        policy: settings.credentials,
      });
    }

    // Logins and registrations always ask Redis, and so does a session not confirmed lately.
    const sessionKnown = request.sessionId === undefined || liveSessions.isFresh(request.sessionId);
    if (!request.credentialAttempt && sessionKnown) {
      const reading = tallies.countLocally(counters[0]!.key, settings.everyRequest);
      if (reading) {
        flushSoon();
        judge(answer, counters, [reading]);
        return { revoked: false };
      }
    }

    const hits = counters.map(({ key }) => tallies.takeUnsentOf(key) + 1);
    const sessionKey =
      request.sessionId === undefined
        ? undefined
        : `${settings.revokedSessionPrefix}${request.sessionId}`;
    // Redis's answer is as old as the question: a mark set while the script is on its way is
    // seen by the next check, SESSION_CHECK_MS after the question at the latest.
    const askedAt = now();
    let reply: number[];
    try {
      reply = await send(counters, hits, sessionKey);
    } catch (error) {
      warnOpen(error);
      return { revoked: false };
    }
    const revoked = reply[counters.length * 2] === 1;
    if (request.sessionId !== undefined) {
      if (revoked) liveSessions.end(request.sessionId);
      else liveSessions.confirm(request.sessionId, askedAt);
    }
    judge(answer, counters, learn(counters, reply));
    return { revoked };
  }

  return {
    admit,
    middleware: () => (req: Request, res: Response, next: NextFunction) => {
      const answer: OutgoingHttpHeaders = {};
      const setAnswerHeaders = () => {
        for (const name in answer) res.setHeader(name, answer[name]!);
      };
      admit(
        req.ip ?? req.socket.remoteAddress ?? '',
        { credentialAttempt: false, sessionId: undefined },
        answer,
      ).then(
        () => {
          setAnswerHeaders();
          next();
        },
        (error: unknown) => {
          setAnswerHeaders();
          next(error);
        },
      );
    },
  };
}

function appendHeader(headers: OutgoingHttpHeaders, name: string, value: string): void {
  const present = headers[name];
  if (present === undefined) headers[name] = value;
  else headers[name] = [...(Array.isArray(present) ? present : [String(present)]), value];
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
