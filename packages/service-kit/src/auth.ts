import { createSecretKey, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
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

/** The caller as a verified access token names them: who, and which login (session) it belongs to. */
export interface TokenPrincipal extends Principal {
  /** The session (refresh-token family) id; a revoked session's tokens are refused by the gateway. */
  sessionId: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: TokenPrincipal;
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

/**
 * The longest an access token may live. A token is only as revocable as its lifetime is short, so
 * one that claims more (or never expires) is refused even when correctly signed.
 */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
// Replicas' clocks drift a little; an `iat` further ahead than this was not issued by us.
const CLOCK_TOLERANCE_SECONDS = 30;

const claimsSchema = z
  .object({
    sub: z.string().min(1),
    role: z.enum(ROLES),
    sid: z.uuid(),
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .refine((claims) => claims.exp > claims.iat, 'exp must be after iat')
  .refine(
    (claims) => claims.exp - claims.iat <= MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
    `a token lives at most ${MAX_ACCESS_TOKEN_LIFETIME_SECONDS} s`,
  )
  .refine(
    (claims) => claims.iat <= Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS,
    'iat is in the future',
  );

const keys = new Map<string, KeyObject>();

/**
 * The secret as a KeyObject, made once per secret. Given a string, jsonwebtoken first tries to
 * parse it as a PEM key and builds an OpenSSL error when that fails, on every call: measured,
 * milliseconds per verify on a busy machine against tens of microseconds with a KeyObject.
 */
function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export function signAccessToken(
  principal: TokenPrincipal,
  settings: TokenSettings & { expiresInSeconds: number },
): string {
  if (settings.expiresInSeconds > MAX_ACCESS_TOKEN_LIFETIME_SECONDS) {
    throw new RangeError(
      `An access token lives at most ${MAX_ACCESS_TOKEN_LIFETIME_SECONDS} s; verifiers refuse longer ones`,
    );
  }
  return jwt.sign({ role: principal.role, sid: principal.sessionId }, keyFor(settings.secret), {
    algorithm: ALGORITHM,
    subject: principal.userId,
    issuer: settings.issuer ?? TOKEN_ISSUER,
    audience: settings.audience ?? TOKEN_AUDIENCE,
    expiresIn: settings.expiresInSeconds,
  });
}

/**
 * How many verified tokens each process remembers. Verifying costs an HMAC, a JSON parse and the
 * claim checks on every request, and a client sends the same token for its whole lifetime; a
 * remembered token costs a map lookup and its expiry check instead. Bounded, oldest first out, so
 * a flood of distinct tokens costs at most this many entries (about 4 MB).
 */
export const VERIFIED_TOKEN_CAPACITY = 10_000;

interface Verified {
  principal: TokenPrincipal;
  exp: number;
}

// Per secret, issuer and audience: a token verified under one is never taken under another.
const verifiedTokens = new Map<string, Map<string, Verified>>();

function verifiedUnder(settings: TokenSettings): Map<string, Verified> {
  const scope = `${settings.issuer ?? TOKEN_ISSUER}\n${settings.audience ?? TOKEN_AUDIENCE}\n${settings.secret}`;
  let tokens = verifiedTokens.get(scope);
  if (!tokens) {
    tokens = new Map();
    verifiedTokens.set(scope, tokens);
  }
  return tokens;
}

const expiredError = () => UnauthorizedError('The access token has expired');

/**
 * The caller a token names, once its signature, issuer, audience, expiry and claims check out. A
 * token that passed once is remembered with its expiry: the same string can only ever verify the
 * same way, and the one claim that changes with time, `exp`, is checked again on every use, to
 * the second as jsonwebtoken does (tokens with `nbf`, which we never sign, are not remembered).
 */
export function verifyAccessToken(token: string, settings: TokenSettings): TokenPrincipal {
  const tokens = verifiedUnder(settings);
  const known = tokens.get(token);
  if (known) {
    if (Math.floor(Date.now() / 1000) < known.exp) return known.principal;
    tokens.delete(token);
    throw expiredError();
  }
  let payload: unknown;
  try {
    payload = jwt.verify(token, keyFor(settings.secret), {
      algorithms: [ALGORITHM],
      issuer: settings.issuer ?? TOKEN_ISSUER,
      audience: settings.audience ?? TOKEN_AUDIENCE,
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw expiredError();
    throw UnauthorizedError('The access token is invalid');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw UnauthorizedError('The access token is invalid');
  const principal = Object.freeze({
    userId: claims.data.sub,
    role: claims.data.role,
    sessionId: claims.data.sid,
  });
  if ((payload as { nbf?: unknown }).nbf === undefined) {
    if (tokens.size >= VERIFIED_TOKEN_CAPACITY) tokens.delete(tokens.keys().next().value!);
    tokens.set(token, { principal, exp: claims.data.exp });
  }
  return principal;
}

export function bearerToken(req: { headers: IncomingHttpHeaders }): string | undefined {
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
export function principalOf(req: Request): TokenPrincipal {
  if (!req.principal) throw UnauthorizedError();
  return req.principal;
}
