import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { AppError, NotFoundError, toProblem } from '../errors';
import type { Logger } from '../logger';
import type { RequestFailure } from './access-log';
import { unreachableDependency } from './dependency-errors';
import { frameworkError } from './framework-errors';

function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  return frameworkError(error) ?? unreachableDependency(error);
}

export function notFoundHandler() {
  return (req: Request, _res: Response, next: NextFunction) => {
    next(NotFoundError(`No route for ${req.method} ${req.path}`));
  };
}

/**
 * What an error is as an answer: the AppError to send, and, for an unexpected error or a 5xx, the
 * failure to log. An unexpected error becomes a 500 that never leaks its stack.
 */
export function problemFor(error: unknown): { error: AppError; failure?: RequestFailure } {
  const appError = asAppError(error);
  if (!appError) {
    return {
      error: new AppError('internal', 'An unexpected error occurred; it has been logged'),
      failure: { err: error, message: 'unhandled error' },
    };
  }
  if (appError.status >= 500) {
    return {
      error: appError,
      failure: { err: appError.cause ?? appError, message: appError.message },
    };
  }
  return { error: appError };
}

/**
 * Writes a problem-details answer with plain `node:http`, for handlers that serve requests without
 * Express; `headers` are the answer's own (security, CORS, rate-limit), the error's are added.
 */
export function writeProblem(
  res: ServerResponse,
  error: AppError,
  requestId: string | undefined,
  headers: OutgoingHttpHeaders,
): void {
  const body = JSON.stringify(toProblem(error, requestId ? { requestId } : {}));
  res.writeHead(error.status, {
    ...headers,
    ...error.headers,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Turns every error into problem details; unexpected ones are logged and never leak a stack. */
export function problemHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem = problemFor(error);
    const { failure } = problem;
    if (failure) {
      // One line per failed request: the access log's, with the cause, when it is there.
      if (res.locals.accessLogged) res.locals.failure = failure;
      else logger.error({ err: failure.err, method: req.method, path: req.path }, failure.message);
    }
    for (const [name, value] of Object.entries(problem.error.headers ?? {})) {
      res.setHeader(name, value);
    }
    res
      .status(problem.error.status)
      .type('application/problem+json')
      .json(toProblem(problem.error, { requestId: req.requestId }));
  };
}
