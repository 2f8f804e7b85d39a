import type { NextFunction, Request, Response } from 'express';
import type { AppError } from '@shop/service-kit';
import {
  bearerToken,
  UnauthorizedError,
  verifyAccessToken,
  type Principal,
} from '@shop/service-kit';

export const USER_ID_HEADER = 'x-user-id';
export const USER_ROLE_HEADER = 'x-user-role';

/**
 * Only the gateway speaks for who the caller is. Whatever identity headers a client sends are
 * dropped on every request, public routes included, before anything can read or forward them.
 */
export function stripClientIdentity() {
  return (req: Request, _res: Response, next: NextFunction) => {
    for (const name of Object.keys(req.headers)) {
      if (name.startsWith('x-user-')) delete req.headers[name];
    }
    next();
  };
}

/** What the bearer token of a request says, verified once per request. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'invalid'; error: AppError }
  | { kind: 'signed-in'; principal: Principal; sessionId: string | undefined };

/**
 * The session a verified token belongs to (its `sid` claim). Read from the payload here rather
 * than from the kit's Principal, whose shape the revocation list does not need to change.
 */
function sessionIdOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const sid = (claims as { sid?: unknown }).sid;
    return typeof sid === 'string' && sid.length > 0 && sid.length <= 128 ? sid : undefined;
  } catch {
    return undefined;
  }
}

export function callerOf(req: Request, secret: string): Caller {
  const token = bearerToken(req);
  if (!token) return { kind: 'anonymous' };
  try {
    const principal = verifyAccessToken(token, { secret });
    return { kind: 'signed-in', principal, sessionId: sessionIdOf(token) };
  } catch (error) {
    return { kind: 'invalid', error: error as AppError };
  }
}

export const SessionEndedError = () => UnauthorizedError('The session has ended');

/**
 * The caller a route may act for. A protected route needs a valid token of a live session (401
 * otherwise). On a public route a token is optional: a valid one still tells the service who is
 * calling, and an invalid or ended one is ignored here (the service sees the Authorization header
 * and may judge it).
 */
export function principalFor(
  caller: Caller,
  access: 'public' | 'authenticated',
  revoked: boolean,
): Principal | undefined {
  if (access === 'public') {
    return caller.kind === 'signed-in' && !revoked ? caller.principal : undefined;
  }
  if (caller.kind === 'anonymous') throw UnauthorizedError();
  if (caller.kind === 'invalid') throw caller.error;
  if (revoked) throw SessionEndedError();
  return caller.principal;
}

export function forwardIdentity(req: Request, principal: Principal): void {
  req.headers[USER_ID_HEADER] = principal.userId;
  req.headers[USER_ROLE_HEADER] = principal.role;
}
