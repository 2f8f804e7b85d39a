import type { NextFunction, Request, Response } from 'express';
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

/** The caller behind the bearer token; a missing, expired, tampered or unsigned token throws 401. */
export function requirePrincipal(req: Request, secret: string): Principal {
  const token = bearerToken(req);
  if (!token) throw UnauthorizedError();
  return verifyAccessToken(token, { secret });
}

/**
 * On a public route a token is optional: a valid one still tells the service who is calling, and
 * an invalid one is ignored here (the service sees the Authorization header and may judge it).
 */
export function optionalPrincipal(req: Request, secret: string): Principal | undefined {
  const token = bearerToken(req);
  if (!token) return undefined;
  try {
    return verifyAccessToken(token, { secret });
  } catch {
    return undefined;
  }
}

export function forwardIdentity(req: Request, principal: Principal): void {
  req.headers[USER_ID_HEADER] = principal.userId;
  req.headers[USER_ROLE_HEADER] = principal.role;
}
