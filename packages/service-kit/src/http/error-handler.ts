import type { NextFunction, Request, Response } from 'express';
import { AppError, NotFoundError, ValidationError, toProblem } from '../errors';
import type { Logger } from '../logger';

interface BodyParserError {
  type: string;
  status?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { type?: unknown }).type === 'string'
  );
}

function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isBodyParserError(error)) {
    if (error.type === 'entity.too.large') {
      return new AppError('payload-too-large', 'The request body is too large');
    }
    if (error.type === 'entity.parse.failed')
      return ValidationError('The request body is not valid JSON');
    if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
      return ValidationError('The request body encoding is not supported');
    }
  }
  return undefined;
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
    if (!appError) {
      logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
      appError = new AppError('internal', 'An unexpected error occurred; it has been logged');
    } else if (appError.status >= 500) {
      logger.warn({ err: appError.cause ?? appError, path: req.path }, appError.message);
    }
    for (const [name, value] of Object.entries(appError.headers ?? {})) res.setHeader(name, value);
    res
      .status(appError.status)
      .type('application/problem+json')
      .json(toProblem(appError, { requestId: req.requestId }));
  };
}
