import { withTransaction, type Pool } from '@shop/postgres';
import type { Principal } from '@shop/service-kit';
import { findRefreshTokenForUpdate, revokeFamily } from '../db/refresh-tokens';
import { refreshTokenDigest } from '../security/refresh-tokens';

/**
 * Ends the login the refresh token belongs to (its whole family). Idempotent: an unknown token, or
 * one of another user, changes nothing and still answers 204, so logout reveals no token's owner.
 */
export async function logOut(
  deps: { pool: Pool },
  principal: Principal,
  refreshToken: string,
): Promise<void> {
  await withTransaction(deps.pool, async (tx) => {
    const stored = await findRefreshTokenForUpdate(tx, refreshTokenDigest(refreshToken));
    if (stored && stored.userId === principal.userId) await revokeFamily(tx, stored.familyId);
  });
}
