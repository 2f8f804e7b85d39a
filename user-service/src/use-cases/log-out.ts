import { withTransaction, type Pool } from '@shop/postgres';
import type { TokenPrincipal } from '@shop/service-kit';
import { findRefreshTokenForUpdate, revokeFamily } from '../db/refresh-tokens';
import { refreshTokenDigest } from '../security/refresh-tokens';
import type { SessionRevocations } from '../security/session-revocation';

/**
 * Ends the login the refresh token belongs to (its whole family), and the caller's own session,
 * so their access tokens stop working too. Idempotent: an unknown token, or one of another user,
 * changes no refresh token and still answers 204, so logout reveals no token's owner. If the
 * revocation list cannot be written the answer is 503 and a retry finishes the job.
 */
export async function logOut(
  deps: { pool: Pool; revocations: SessionRevocations },
  principal: TokenPrincipal,
  refreshToken: string,
): Promise<void> {
  const family = await withTransaction(deps.pool, async (tx) => {
    const stored = await findRefreshTokenForUpdate(tx, refreshTokenDigest(refreshToken));
    if (!stored || stored.userId !== principal.userId) return undefined;
    await revokeFamily(tx, stored.familyId);
    return stored.familyId;
  });
  const ended = new Set([principal.sessionId, ...(family ? [family] : [])]);
  await deps.revocations.revoke([...ended]);
}
