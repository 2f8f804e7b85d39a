import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from './errors';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: string;
  role: Role;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export const TOKEN_ISSUER = 'shop-user-service';
export const TOKEN_AUDIENCE = 'shop-api';
// Pinned: a token signed with anything else (including "none") is refused before its claims are read.
const ALGORITHM = 'HS256';

export interface TokenSettings {
  secret: string;
  issuer?: string;
  audience?: string;
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
});

export function signAccessToken(
  principal: Principal,
  settings: TokenSettings & { expiresInSeconds: number },
): string {
  return jwt.sign({ role: principal.role }, settings.secret, {
    algorithm: ALGORITHM,
    subject: principal.userId,
    issuer: settings.issuer ?? TOKEN_ISSUER,
    audience: settings.audience ?? TOKEN_AUDIENCE,
    expiresIn: settings.expiresInSeconds,
  });
}

export function verifyAccessToken(token: string, settings: TokenSettings): Principal {
  let payload: unknown;
  try {
    payload = jwt.verify(token, settings.secret, {
      algorithms: [ALGORITHM],
      issuer: settings.issuer ?? TOKEN_ISSUER,
      audience: settings.audience ?? TOKEN_AUDIENCE,
    });
  } catch (error) {
    const expired = error instanceof jwt.TokenExpiredError;
    throw UnauthorizedError(
      expired ? 'The access token has expired' : 'The access token is invalid',
    );
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw UnauthorizedError('The access token is invalid');
  return { userId: claims.data.sub, role: claims.data.role };
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  return match?.[1];
}

/** Verifies the bearer token and puts the caller on `req.principal`; no token is a 401. */
export function authenticate(settings: TokenSettings) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    if (!token) throw UnauthorizedError();
    req.principal = verifyAccessToken(token, settings);
    next();
  };
}

export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.principal) throw UnauthorizedError();
    if (!roles.includes(req.principal.role)) throw ForbiddenError();
    next();
  };
}

/** The authenticated caller; only valid behind `authenticate`. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw UnauthorizedError();
  return req.principal;
}
