import { randomUUID } from 'node:crypto';
import type { Queryable } from '@shop/postgres';
import { signAccessToken } from '@shop/service-kit';
import { insertRefreshToken } from '../db/refresh-tokens';
import { publicUser, type User } from '../db/users';
import { newRefreshToken, refreshTokenDigest } from '../security/refresh-tokens';
import type { AccountSettings } from '../config';

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
  user: User;
}

/**
 * A fresh access token and a fresh refresh token; a login starts a new family, a refresh
 * continues its token's family. Returns the new refresh token's row id as well, for rotation.
 */
export async function issueSession(
  db: Queryable,
  settings: AccountSettings,
  user: User,
  familyId: string = randomUUID(),
): Promise<{ session: Session; refreshTokenId: string }> {
  const refreshToken = newRefreshToken();
  const refreshTokenId = await insertRefreshToken(db, {
    digest: refreshTokenDigest(refreshToken),
    userId: user.id,
    familyId,
    expiresAt: new Date(Date.now() + settings.refreshTokenTtlMs),
  });
  // The family is the session: every access token of one login carries its id, so ending the
  // family (logout, reuse detected) can end those tokens too.
  const accessToken = signAccessToken(
    { userId: user.id, role: user.role, sessionId: familyId },
    { secret: settings.jwtSecret, expiresInSeconds: settings.accessTokenTtlSeconds },
  );
  return {
    session: {
      accessToken,
      refreshToken,
      expiresIn: settings.accessTokenTtlSeconds,
      user: publicUser(user),
    },
    refreshTokenId,
  };
}
