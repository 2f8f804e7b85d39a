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

/** Turns every error into problem details; unexpected ones are logged and never leak a stack. */
export function problemHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let appError = asAppError(error);
    let failure: RequestFailure | undefined;
    if (!appError) {
      failure = { err: error, message: 'unhandled error' };
      appError = new AppError('internal', 'An unexpected error occurred; it has been logged');
    } else if (appError.status >= 500) {
      failure = { err: appError.cause ?? appError, message: appError.message };
    }
    if (failure) {
      // One line per failed request: the access log's, with the cause, when it is there.
      if (res.locals.accessLogged) res.locals.failure = failure;
      else logger.error({ err: failure.err, method: req.method, path: req.path }, failure.message);
    }
    for (const [name, value] of Object.entries(appError.headers ?? {})) res.setHeader(name, value);
    res
      .status(appError.status)
      .type('application/problem+json')
      .json(toProblem(appError, { requestId: req.requestId }));
  };
}
