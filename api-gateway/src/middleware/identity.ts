import type { IncomingHttpHeaders } from 'node:http';
import {
  bearerToken,
  UnauthorizedError,
  verifyAccessToken,
  type AppError,
  type TokenPrincipal,
} from '@shop/service-kit';

/** What the bearer token of a request says, verified once per request. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'invalid'; error: AppError }
  | { kind: 'signed-in'; principal: TokenPrincipal };

export function callerOf(req: { headers: IncomingHttpHeaders }, secret: string): Caller {
  const token = bearerToken(req);
  if (!token) return { kind: 'anonymous' };
  try {
    return { kind: 'signed-in', principal: verifyAccessToken(token, { secret }) };
  } catch (error) {
    return { kind: 'invalid', error: error as AppError };
  }
}

/** The session a request's verified token belongs to, whose revocation the gateway checks. */
export function sessionOf(caller: Caller): string | undefined {
  return caller.kind === 'signed-in' ? caller.principal.sessionId : undefined;
}

export const SessionEndedError = () => UnauthorizedError('The session has ended');

/**
 * Whether the caller may reach a route: a protected one needs a valid token of a live session
 * (401 otherwise); a public one takes anyone, and an invalid or ended token is the service's to
 * judge (it sees the Authorization header). Only the Authorization header speaks for the caller
 * upstream: each service verifies the token itself, so the gateway forwards no identity headers
 * of its own, and drops any `X-User-*` a client sends (upstreams/proxy.ts).
 */
export function assertMayCall(
  caller: Caller,
  access: 'public' | 'authenticated',
  revoked: boolean,
): void {
  if (access === 'public') return;
  if (caller.kind === 'anonymous') throw UnauthorizedError();
  if (caller.kind === 'invalid') throw caller.error;
  if (revoked) throw SessionEndedError();
}
