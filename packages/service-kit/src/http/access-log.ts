import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger';
import { PROBE_PATHS } from '../probe-paths';

export interface AccessLogOptions {
  logger: Logger;
  /** A successful request slower than this is logged at info; faster ones at debug. */
  slowMs?: number;
  /** Requests so routine that even a slow success stays at debug (the registry's heartbeats). */
  routinePaths?: RegExp;
}

/** What the problem handler leaves for the access line: the failure behind a 5xx answer. */
export interface RequestFailure {
  err: unknown;
  message: string;
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set when the access log will write this request's line, failures included. */
    accessLogged?: boolean;
    failure?: RequestFailure;
  }
}

/**
 * One line per request, when it ends: failures (warn for 4xx, error for 5xx, with the cause the
 * problem handler found), client hang-ups, and slow successes at info; every other success at
 * debug, since metrics and traces already count and time them. Nothing is allocated for a line
 * that its level drops, which is what keeps a busy gateway's hot path lean at info. The shape is
 * pino-http's (`req`, `res`, `responseTime`), so log tooling reads both.
 *
 * `logWhenClosed(req, res, url, failure)` watches one request: Express's middleware below uses it,
 * and so does a handler that serves requests without Express (the gateway's proxied routes).
 */
export function accessLine(options: AccessLogOptions) {
  const { logger, routinePaths } = options;
  const slowMs = options.slowMs ?? 1000;
  return function logWhenClosed(
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    failure: () => RequestFailure | undefined,
  ): void {
    const began = performance.now();
    res.once('close', () => {
      const responseTime = Math.round(performance.now() - began);
      const status = res.statusCode;
      let level: 'error' | 'warn' | 'info' | 'debug';
      let msg: string;
      const failed = failure();
      if (!res.writableFinished) {
        level = 'info';
        msg = 'request aborted';
      } else if (status >= 500) {
        level = 'error';
        msg = failed?.message ?? 'request failed';
      } else if (status >= 400) {
        level = 'warn';
        msg = 'request refused';
      } else {
        const slow = responseTime >= slowMs && !routinePaths?.test(url);
        level = slow ? 'info' : 'debug';
        msg = slow ? 'slow request completed' : 'request completed';
      }
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          req: { method: req.method, url },
          res: { statusCode: res.writableFinished ? status : null },
          responseTime,
          ...(failed ? { err: failed.err } : {}),
        },
        msg,
      );
    });
  };
}

export function accessLog(options: AccessLogOptions) {
  const logWhenClosed = accessLine(options);
  return (req: Request, res: Response, next: NextFunction) => {
    if (PROBE_PATHS.has(req.path)) {
      next();
      return;
    }
    res.locals.accessLogged = true;
    logWhenClosed(req, res, req.originalUrl, () => res.locals.failure);
    next();
  };
}
