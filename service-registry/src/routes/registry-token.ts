import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { UnauthorizedError, bearerToken } from '@shop/service-kit';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Guards a registry route with the shared secret: `Authorization: Bearer <REGISTRY_TOKEN>`.
 * Without a configured token every caller passes (local development). Both sides are hashed
 * first so the comparison takes the same time whatever the length or content of a guess.
 */
export function requireRegistryToken(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (expected) {
      const presented = bearerToken(req);
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        throw UnauthorizedError('The registry token is missing or wrong');
      }
    }
    next();
  };
}
