import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { runWithRequestContext } from '../request-context';

export const REQUEST_ID_HEADER = 'x-request-id';
// A caller's id is kept only if it is short and plain, so it is safe in logs and headers.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

export function requestId() {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.requestId = id;
    req.headers[REQUEST_ID_HEADER] = id;
    res.setHeader('X-Request-Id', id);
    runWithRequestContext({ requestId: id }, next);
  };
}
